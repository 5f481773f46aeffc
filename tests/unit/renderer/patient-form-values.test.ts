import { describe, expect, it } from 'vitest';
import {
  baselineOf,
  changedFields,
  emptyPatient,
  patientToForm,
  withoutLoneCountry,
} from '../../../renderer/features/patients/patient-form-values';
import { patientInput, type Patient } from '../../../shared/domain/patient';

const stored: Patient = {
  id: '0190a0b0-0000-7000-8000-000000000001',
  chartNumber: '1001',
  title: null,
  givenNames: 'Zoë',
  familyName: 'Müller',
  patronymic: null,
  preferredName: 'Zo',
  dateOfBirth: '1985-03-12',
  sex: 'female',
  gender: null,
  phones: [
    {
      id: '0190a0b0-0000-7000-8000-0000000000a1',
      e164: '+447911123456',
      type: 'mobile',
      preferred: true,
    },
    {
      id: '0190a0b0-0000-7000-8000-0000000000a2',
      e164: '+49301234567',
      type: 'work',
      preferred: false,
    },
  ],
  email: 'zoe@example.org',
  address: {
    line1: '1 High Street',
    line2: null,
    city: 'London',
    region: null,
    postalCode: 'N1 1AA',
    country: 'GB',
  },
  preferredLanguage: 'de',
  preferredChannel: 'sms',
  documents: [
    {
      id: '0190a0b0-0000-7000-8000-0000000000b1',
      type: 'passport',
      number: 'X1234567',
      issuingCountry: 'GB',
    },
  ],
  insurance: [
    {
      id: '0190a0b0-0000-7000-8000-0000000000c1',
      payer: 'Denplan',
      memberNumber: 'DP-1',
      validFrom: '2024-01-01',
      validTo: null,
    },
  ],
  emergencyContact: { name: 'Hans Müller', relationship: 'Father', phone: '+49301234567' },
  guardian: null,
  alerts: [
    {
      id: '0190a0b0-0000-7000-8000-0000000000d1',
      kind: 'allergy',
      description: 'Penicillin',
      severity: 'high',
    },
  ],
  notes: 'Prefers mornings',
  status: 'active',
  age: 40,
  needsGuardian: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 'x',
};

describe('patient form values', () => {
  it('shows stored phones as staff type them and sends nothing when nothing changed', () => {
    const form = patientToForm(stored, 'GB');
    expect(form.phones!.map((p) => p.number)).toEqual(['07911 123456', '+49 30 1234567']);
    expect(form.emergencyContact?.phone).toBe('+49 30 1234567');
    const baseline = baselineOf(form);
    expect(baseline).not.toBeNull();
    expect(changedFields(baseline, patientInput.parse(form))).toEqual({});
  });

  it('sends only the fields that changed, lists whole with their row ids', () => {
    const form = patientToForm(stored, 'GB');
    const baseline = baselineOf(form);
    const edited = structuredClone(form);
    edited.phones![0]!.number = '020 7946 0958';
    edited.notes = '  Prefers mornings  '; // same after trimming: not a change
    const patch = changedFields(baseline, patientInput.parse(edited));
    expect(Object.keys(patch)).toEqual(['phones']);
    expect(patch.phones).toEqual([
      { id: stored.phones[0]!.id, number: '020 7946 0958', type: 'mobile', preferred: true },
      { id: stored.phones[1]!.id, number: '+49 30 1234567', type: 'work', preferred: false },
    ]);
  });

  it('sends everything when the stored record no longer passes the rules', () => {
    const data = patientInput.parse(patientToForm(stored, 'GB'));
    expect(changedFields(null, data)).toEqual(data);
  });

  it('does not store a country on its own as an address', () => {
    const blank = emptyPatient('GB');
    expect(blank.address.country).toBe('GB');
    const lone = patientInput.parse({
      ...blank,
      givenNames: 'A',
      familyName: 'B',
      dateOfBirth: '2000-01-01',
    });
    expect(withoutLoneCountry(lone).address.country).toBeNull();
    const real = patientInput.parse(patientToForm(stored, 'GB'));
    expect(withoutLoneCountry(real).address.country).toBe('GB');
  });
});
