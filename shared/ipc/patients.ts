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

/**
 * How much of a patient's clinical details (medical alert descriptions, clinical notes) the caller
 * sees; see `seesClinicalDetails` in shared/permissions.ts.
 * - `shown`: the caller's role sees them.
 * - `restricted`: withheld. Alerts keep their kind and severity (the badges) with an empty
 *   description, `notes` is null, and the change history leaves those fields out. Emergency access
 *   ('access.breakGlass') opens them.
 * - `emergency`: shown under the caller's emergency access, until `until`.
 */
export interface ClinicalView {
  access: 'shown' | 'restricted' | 'emergency';
  /** When the emergency access ends (ISO 8601); null unless `access` is 'emergency'. */
  until: string | null;
}

/** A patient record as the caller's role sees it. */
export type PatientRecord = Patient & { clinical: ClinicalView };

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
  'patients.get': command<PatientRecord>()({
    input: z.strictObject({ id }),
    roles: FRONT_DESK,
    summary:
      'Open a patient record: demographics, alerts, phones, documents, insurance (clinical details as the role allows)',
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
  'patients.create': command<PatientRecord>()({
    input: z.strictObject({
      patient: patientInput,
      /** Set after staff have seen the possible duplicates and decided this is a new patient. */
      duplicatesReviewed: z.boolean().default(false),
    }),
    roles: FRONT_DESK,
    summary: 'Register a patient',
    touchesPatientData: true,
  }),
  'patients.update': command<PatientRecord>()({
    input: z.strictObject({ id, patch: patientPatch }),
    roles: FRONT_DESK,
    summary: 'Change some fields of a patient record; history is kept per field',
    touchesPatientData: true,
  }),
  'patients.archive': command<PatientRecord>()({
    input: z.strictObject({ id }),
    roles: FRONT_DESK,
    summary: 'Archive a patient (kept for the retention period, hidden from the default list)',
    touchesPatientData: true,
  }),
  'patients.history': command<FieldChange[]>()({
    input: z.strictObject({ id }),
    roles: FRONT_DESK,
    summary: 'Field-level history of a patient record (clinical fields as the role allows)',
    touchesPatientData: true,
    breakGlass: true,
  }),
} as const;
