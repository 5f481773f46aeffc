import { z } from 'zod';
import { id, isoDate, optionalText } from '../domain/common';
import {
  patientInput,
  patientPatch,
  type DuplicateCandidate,
  type FieldChange,
  type Patient,
  type PatientPage,
  type PatientSearchResult,
} from '../domain/patient';
import { FRONT_DESK } from '../roles';
import { command } from './command';

export const patientCommands = {
  'patients.search': command<PatientSearchResult>()({
    input: z.strictObject({
      query: z.string().max(200, 'Search text is too long'),
      limit: z.number().int().min(1).max(200).default(50),
    }),
    roles: FRONT_DESK,
    summary: 'Type-ahead by name (any order, prefixes), phone, date of birth or chart number',
    touchesPatientData: true,
  }),
  'patients.list': command<PatientPage>()({
    input: z.strictObject({
      offset: z.number().int().min(0).max(10_000_000),
      limit: z.number().int().min(1).max(500),
      includeArchived: z.boolean().default(false),
    }),
    roles: FRONT_DESK,
    summary: 'A page of patients in name order, for the virtualised list',
    touchesPatientData: true,
  }),
  'patients.get': command<Patient>()({
    input: z.strictObject({ id }),
    roles: FRONT_DESK,
    summary: 'Open a patient record: demographics, alerts, phones, documents, insurance',
    touchesPatientData: true,
    breakGlass: true,
  }),
  'patients.findDuplicates': command<DuplicateCandidate[]>()({
    input: z.strictObject({
      givenNames: optionalText(100),
      familyName: optionalText(100),
      dateOfBirth: isoDate.nullable().optional(),
      phones: z.array(z.string().max(40)).max(10).default([]),
      email: z.string().max(254).nullable().optional(),
      excludeId: id.optional(),
    }),
    roles: FRONT_DESK,
    summary: 'Possible duplicates: same name and date of birth, same phone or same email',
    touchesPatientData: true,
  }),
  'patients.create': command<Patient>()({
    input: z.strictObject({
      patient: patientInput,
      /** Set after staff have seen the possible duplicates and decided this is a new patient. */
      duplicatesReviewed: z.boolean().default(false),
    }),
    roles: FRONT_DESK,
    summary: 'Register a patient',
    touchesPatientData: true,
  }),
  'patients.update': command<Patient>()({
    input: z.strictObject({ id, patch: patientPatch }),
    roles: FRONT_DESK,
    summary: 'Change some fields of a patient record; history is kept per field',
    touchesPatientData: true,
  }),
  'patients.archive': command<Patient>()({
    input: z.strictObject({ id }),
    roles: FRONT_DESK,
    summary: 'Archive a patient (kept for the retention period, hidden from the default list)',
    touchesPatientData: true,
  }),
  'patients.history': command<FieldChange[]>()({
    input: z.strictObject({ id }),
    roles: FRONT_DESK,
    summary: 'Field-level history of a patient record',
    touchesPatientData: true,
    breakGlass: true,
  }),
} as const;
