import { z } from 'zod';
import { countryCode, id, isoDate, optionalText, requiredText } from './common';

export const PATIENT_STATUSES = ['active', 'inactive', 'archived', 'deceased'] as const;
export const SEXES = ['female', 'male', 'intersex', 'unknown'] as const;
export const PHONE_TYPES = ['mobile', 'home', 'work', 'other'] as const;
export const CONTACT_CHANNELS = ['sms', 'email', 'phone', 'post', 'whatsapp', 'none'] as const;
export const DOCUMENT_TYPES = [
  'passport',
  'national_id',
  'driving_licence',
  'residence_permit',
  'other',
] as const;
export const ALERT_KINDS = ['allergy', 'condition', 'medication'] as const;
export const ALERT_SEVERITIES = ['low', 'moderate', 'high'] as const;

export type PatientStatus = (typeof PATIENT_STATUSES)[number];
export type Sex = (typeof SEXES)[number];
export type PhoneType = (typeof PHONE_TYPES)[number];
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export type AlertKind = (typeof ALERT_KINDS)[number];
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

const rowId = id.optional();

export const phoneInput = z.strictObject({
  id: rowId,
  /** As typed; the core stores it as E.164. */
  number: requiredText(40, 'Phone number'),
  type: z.enum(PHONE_TYPES),
  preferred: z.boolean(),
});

export const documentInput = z.strictObject({
  id: rowId,
  type: z.enum(DOCUMENT_TYPES),
  number: requiredText(50, 'Document number'),
  issuingCountry: countryCode,
});

export const insuranceInput = z
  .strictObject({
    id: rowId,
    payer: requiredText(100, 'Payer'),
    memberNumber: requiredText(50, 'Member number'),
    validFrom: isoDate.nullable().optional(),
    validTo: isoDate.nullable().optional(),
  })
  .refine((p) => !p.validFrom || !p.validTo || p.validFrom <= p.validTo, {
    message: 'The policy must start before it ends',
    path: ['validTo'],
  });

export const alertInput = z.strictObject({
  id: rowId,
  kind: z.enum(ALERT_KINDS),
  description: requiredText(200, 'Alert description'),
  severity: z.enum(ALERT_SEVERITIES),
});

export const addressInput = z.strictObject({
  line1: optionalText(120),
  line2: optionalText(120),
  city: optionalText(80),
  region: optionalText(80),
  postalCode: optionalText(20),
  country: countryCode.nullable().optional(),
});

export const emergencyContactInput = z.strictObject({
  name: requiredText(120, 'Emergency contact name'),
  relationship: optionalText(60),
  phone: requiredText(40, 'Emergency contact phone'),
});

export const guardianInput = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('patient'),
    patientId: id,
    relationship: requiredText(60, 'Relationship'),
  }),
  z.strictObject({
    kind: z.literal('contact'),
    name: requiredText(120, 'Guardian name'),
    relationship: requiredText(60, 'Relationship'),
    phone: requiredText(40, 'Guardian phone'),
  }),
]);

const patientFields = {
  title: optionalText(30),
  givenNames: requiredText(100, 'Given names'),
  familyName: requiredText(100, 'Family name'),
  patronymic: optionalText(100),
  preferredName: optionalText(100),
  dateOfBirth: isoDate,
  sex: z.enum(SEXES),
  gender: optionalText(50),
  phones: z.array(phoneInput).max(10, 'At most 10 phone numbers'),
  email: z
    .union([z.literal(''), z.email({ message: 'Enter a valid email address' }).max(254), z.null()])
    .optional()
    .transform((s) => (s ? s.toLowerCase() : null)),
  address: addressInput,
  preferredLanguage: optionalText(35),
  preferredChannel: z.enum(CONTACT_CHANNELS).nullable().optional(),
  documents: z.array(documentInput).max(10, 'At most 10 identity documents'),
  insurance: z.array(insuranceInput).max(10, 'At most 10 insurance policies'),
  emergencyContact: emergencyContactInput.nullable().optional(),
  guardian: guardianInput.nullable().optional(),
  alerts: z.array(alertInput).max(50, 'At most 50 alerts'),
  notes: optionalText(5000),
  status: z.enum(PATIENT_STATUSES),
  chartNumber: optionalText(20).pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'Chart numbers use letters, digits and dashes')
      .nullable(),
  ),
};

export const patientInput = z.strictObject(patientFields);
export type PatientInput = z.input<typeof patientInput>;
export type PatientData = z.output<typeof patientInput>;

/** Only the keys present are changed; lists given replace the whole list. */
export const patientPatch = z.strictObject(patientFields).partial();
export type PatientPatch = z.output<typeof patientPatch>;

export interface Phone {
  id: string;
  e164: string;
  type: PhoneType;
  preferred: boolean;
}
export interface IdentityDocument {
  id: string;
  type: DocumentType;
  number: string;
  issuingCountry: string;
}
export interface InsurancePolicy {
  id: string;
  payer: string;
  memberNumber: string;
  validFrom: string | null;
  validTo: string | null;
}
export interface MedicalAlert {
  id: string;
  kind: AlertKind;
  description: string;
  severity: AlertSeverity;
}
export interface Address {
  line1: string | null;
  line2: string | null;
  city: string | null;
  region: string | null;
  postalCode: string | null;
  country: string | null;
}
export interface EmergencyContact {
  name: string;
  relationship: string | null;
  phone: string;
}
export type Guardian =
  | { kind: 'patient'; patientId: string; relationship: string; displayName: string | null }
  | { kind: 'contact'; name: string; relationship: string; phone: string };

export interface Patient {
  id: string;
  chartNumber: string;
  title: string | null;
  givenNames: string;
  familyName: string;
  patronymic: string | null;
  preferredName: string | null;
  dateOfBirth: string;
  sex: Sex;
  gender: string | null;
  phones: Phone[];
  email: string | null;
  address: Address;
  preferredLanguage: string | null;
  preferredChannel: ContactChannel | null;
  documents: IdentityDocument[];
  insurance: InsurancePolicy[];
  emergencyContact: EmergencyContact | null;
  guardian: Guardian | null;
  alerts: MedicalAlert[];
  notes: string | null;
  status: PatientStatus;
  /** Age in whole years today, in the clinic's time zone. */
  age: number;
  /** True when the patient is under the clinic's age of consent. */
  needsGuardian: boolean;
  createdAt: string;
  updatedAt: string;
  /** HLC of the last change; sent back with edits to detect concurrent edits. */
  version: string;
}

export interface PatientSummary {
  id: string;
  chartNumber: string;
  givenNames: string;
  familyName: string;
  preferredName: string | null;
  dateOfBirth: string;
  status: PatientStatus;
  preferredPhone: string | null;
  alertKinds: AlertKind[];
}

export interface PatientSearchResult {
  items: PatientSummary[];
  /** True when more patients match than were returned: keep typing to narrow. */
  more: boolean;
}

export interface PatientPage {
  total: number;
  offset: number;
  items: PatientSummary[];
}

export interface DuplicateCandidate {
  patient: PatientSummary;
  reasons: Array<'name_and_birth_date' | 'phone' | 'email'>;
}

export interface FieldChange {
  at: string;
  hlc: string;
  authorName: string;
  /** `patient.familyName`, `phone.e164`, ... */
  field: string;
  /** Which sub-record changed, for lists (phones, alerts...). */
  rowId: string;
  value: unknown;
  operation: 'insert' | 'update' | 'delete';
}

export function displayName(
  p: Pick<PatientSummary, 'givenNames' | 'familyName' | 'preferredName'>,
): string {
  return `${p.familyName}, ${p.givenNames}${p.preferredName ? ` (${p.preferredName})` : ''}`;
}
