import {
  patientInput,
  type Patient,
  type PatientData,
  type PatientInput,
  type PatientPatch,
} from '../../../shared/domain/patient';
import { formatPhone } from '../../../shared/phone';

/** A blank registration form; the address country starts as the clinic's. */
export function emptyPatient(clinicCountry: string): PatientInput {
  return {
    title: null,
    givenNames: '',
    familyName: '',
    patronymic: null,
    preferredName: null,
    dateOfBirth: '',
    sex: 'unknown',
    gender: null,
    phones: [],
    email: null,
    address: {
      line1: null,
      line2: null,
      city: null,
      region: null,
      postalCode: null,
      country: clinicCountry || null,
    },
    preferredLanguage: null,
    preferredChannel: null,
    documents: [],
    insurance: [],
    emergencyContact: null,
    guardian: null,
    alerts: [],
    notes: null,
    status: 'active',
    chartNumber: null,
  };
}

/** A stored record as form values; phone numbers shown as staff would type them. */
export function patientToForm(p: Patient, clinicCountry: string): PatientInput {
  const phone = (e164: string) => (e164 ? formatPhone(e164, clinicCountry) : '');
  return {
    title: p.title,
    givenNames: p.givenNames,
    familyName: p.familyName,
    patronymic: p.patronymic,
    preferredName: p.preferredName,
    dateOfBirth: p.dateOfBirth,
    sex: p.sex,
    gender: p.gender,
    phones: p.phones.map((ph) => ({
      id: ph.id,
      number: phone(ph.e164),
      type: ph.type,
      preferred: ph.preferred,
    })),
    email: p.email,
    address: { ...p.address },
    preferredLanguage: p.preferredLanguage,
    preferredChannel: p.preferredChannel,
    documents: p.documents.map((d) => ({ ...d })),
    insurance: p.insurance.map((i) => ({ ...i })),
    emergencyContact: p.emergencyContact
      ? { ...p.emergencyContact, phone: phone(p.emergencyContact.phone) }
      : null,
    guardian:
      p.guardian?.kind === 'patient'
        ? {
            kind: 'patient',
            patientId: p.guardian.patientId,
            relationship: p.guardian.relationship,
          }
        : p.guardian
          ? { ...p.guardian, phone: phone(p.guardian.phone) }
          : null,
    alerts: p.alerts.map((a) => ({ ...a })),
    notes: p.notes,
    status: p.status,
    chartNumber: p.chartNumber,
  };
}

/**
 * The form without clinical details, for roles that neither see nor change them: the record's
 * alerts and notes are not in the values, so they are never part of a patch.
 */
export function withoutClinical(values: PatientInput): PatientInput {
  return { ...values, alerts: [], notes: null };
}

/**
 * The country field starts as the clinic's to save typing; without any address line it is not an
 * address, so it is not stored.
 */
export function withoutLoneCountry(data: PatientData): PatientData {
  const a = data.address;
  const hasLines = !!(a.line1 || a.line2 || a.city || a.region || a.postalCode);
  return hasLines || !a.country ? data : { ...data, address: { ...a, country: null } };
}

/** The form values of a stored record after the same parsing a submit goes through. */
export function baselineOf(values: PatientInput): PatientData | null {
  const parsed = patientInput.safeParse(values);
  return parsed.success ? withoutLoneCountry(parsed.data) : null;
}

/** Canonical JSON: key order never makes two equal values look different. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([, x]) => x !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/**
 * The patch for `patients.update`: only the top-level fields that differ from what was loaded.
 * Without a baseline (a stored record the current rules refuse) everything is sent.
 */
export function changedFields(baseline: PatientData | null, next: PatientData): PatientPatch {
  if (!baseline) return { ...next };
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(next) as Array<keyof PatientData>) {
    if (canonical(next[key]) !== canonical(baseline[key])) patch[key] = next[key];
  }
  return patch as PatientPatch;
}
