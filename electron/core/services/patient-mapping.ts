import type {
  ContactChannel,
  Patient,
  PatientSummary,
  Sex,
  PatientStatus,
  AlertKind,
} from '../../../shared/domain/patient';
import type { PatientRow } from '../db/tables/patient';
import type { PatientAlertRow } from '../db/tables/patient-alert';
import type { PatientDocumentRow } from '../db/tables/patient-document';
import type { PatientInsuranceRow } from '../db/tables/patient-insurance';
import type { PatientPhoneRow } from '../db/tables/patient-phone';
import { ageOn } from '../../../shared/dates';

export interface PatientRows {
  patient: PatientRow;
  phones: PatientPhoneRow[];
  documents: PatientDocumentRow[];
  insurance: PatientInsuranceRow[];
  alerts: PatientAlertRow[];
  guardianDisplayName: string | null;
}

export function toPatient(r: PatientRows, today: string, ageOfConsent: number): Patient {
  const p = r.patient;
  const age = ageOn(p.date_of_birth, today);
  return {
    id: p.id,
    chartNumber: p.chart_number,
    title: p.title,
    givenNames: p.given_names,
    familyName: p.family_name,
    patronymic: p.patronymic,
    preferredName: p.preferred_name,
    dateOfBirth: p.date_of_birth,
    sex: p.sex as Sex,
    gender: p.gender,
    phones: r.phones.map((ph) => ({
      id: ph.id,
      e164: ph.e164,
      type: ph.type as Patient['phones'][number]['type'],
      preferred: ph.preferred === 1,
    })),
    email: p.email,
    address: {
      line1: p.address_line1,
      line2: p.address_line2,
      city: p.address_city,
      region: p.address_region,
      postalCode: p.address_postal_code,
      country: p.address_country,
    },
    preferredLanguage: p.preferred_language,
    preferredChannel: p.preferred_channel as ContactChannel | null,
    documents: r.documents.map((d) => ({
      id: d.id,
      type: d.type as Patient['documents'][number]['type'],
      number: d.number,
      issuingCountry: d.issuing_country,
    })),
    insurance: r.insurance.map((i) => ({
      id: i.id,
      payer: i.payer,
      memberNumber: i.member_number,
      validFrom: i.valid_from,
      validTo: i.valid_to,
    })),
    emergencyContact: p.emergency_name
      ? {
          name: p.emergency_name,
          relationship: p.emergency_relationship,
          phone: p.emergency_phone ?? '',
        }
      : null,
    guardian: p.guardian_patient_id
      ? {
          kind: 'patient',
          patientId: p.guardian_patient_id,
          relationship: p.guardian_relationship ?? '',
          displayName: r.guardianDisplayName,
        }
      : p.guardian_name
        ? {
            kind: 'contact',
            name: p.guardian_name,
            relationship: p.guardian_relationship ?? '',
            phone: p.guardian_phone ?? '',
          }
        : null,
    alerts: r.alerts.map((a) => ({
      id: a.id,
      kind: a.kind as AlertKind,
      description: a.description,
      severity: a.severity as Patient['alerts'][number]['severity'],
    })),
    notes: p.notes,
    status: p.status as PatientStatus,
    age,
    needsGuardian: age < ageOfConsent,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
    version: p.hlc,
  };
}

export type SummaryRow = Pick<
  PatientRow,
  | 'id'
  | 'chart_number'
  | 'given_names'
  | 'family_name'
  | 'preferred_name'
  | 'date_of_birth'
  | 'status'
  | 'name_key'
>;

export function toSummary(
  row: SummaryRow,
  phone: string | null,
  alertKinds: AlertKind[],
): PatientSummary {
  return {
    id: row.id,
    chartNumber: row.chart_number,
    givenNames: row.given_names,
    familyName: row.family_name,
    preferredName: row.preferred_name,
    dateOfBirth: row.date_of_birth,
    status: row.status as PatientStatus,
    preferredPhone: phone,
    alertKinds,
  };
}
