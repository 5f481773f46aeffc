import type {
  AlertKind,
  AlertSeverity,
  ContactChannel,
  DocumentType,
  DuplicateCandidate,
  FieldChange,
  PatientStatus,
  PhoneType,
  Sex,
} from '../../../shared/domain/patient';
import { formatPhone } from '../../../shared/phone';
import { formatDate } from '../../format';

export const SEX_LABELS: Record<Sex, string> = {
  female: 'Female',
  male: 'Male',
  intersex: 'Intersex',
  unknown: 'Not recorded',
};

export const STATUS_LABELS: Record<PatientStatus, string> = {
  active: 'Active',
  inactive: 'Inactive',
  archived: 'Archived',
  deceased: 'Deceased',
};

export const PHONE_TYPE_LABELS: Record<PhoneType, string> = {
  mobile: 'Mobile',
  home: 'Home',
  work: 'Work',
  other: 'Other',
};

export const CHANNEL_LABELS: Record<ContactChannel, string> = {
  sms: 'Text message',
  email: 'Email',
  phone: 'Phone call',
  post: 'Post',
  whatsapp: 'WhatsApp',
  none: 'Do not contact',
};

export const DOCUMENT_TYPE_LABELS: Record<DocumentType, string> = {
  passport: 'Passport',
  national_id: 'National ID card',
  driving_licence: 'Driving licence',
  residence_permit: 'Residence permit',
  other: 'Other document',
};

export const ALERT_KIND_LABELS: Record<AlertKind, string> = {
  allergy: 'Allergy',
  condition: 'Condition',
  medication: 'Medication',
};

export const SEVERITY_LABELS: Record<AlertSeverity, string> = {
  low: 'Low',
  moderate: 'Moderate',
  high: 'High',
};

export const DUPLICATE_REASON_LABELS: Record<DuplicateCandidate['reasons'][number], string> = {
  name_and_birth_date: 'Same name and date of birth',
  phone: 'Same phone number',
  email: 'Same email address',
};

/** History fields (`table.column` from the change log) in the words on the form. */
export const HISTORY_FIELD_LABELS: Record<string, string> = {
  'patient.chart_number': 'Chart number',
  'patient.title': 'Title',
  'patient.given_names': 'Given names',
  'patient.family_name': 'Family name',
  'patient.patronymic': 'Patronymic',
  'patient.preferred_name': 'Preferred name',
  'patient.date_of_birth': 'Date of birth',
  'patient.sex': 'Sex',
  'patient.gender': 'Gender',
  'patient.email': 'Email',
  'patient.address_line1': 'Address line 1',
  'patient.address_line2': 'Address line 2',
  'patient.address_city': 'Town or city',
  'patient.address_region': 'County or region',
  'patient.address_postal_code': 'Postcode',
  'patient.address_country': 'Address country',
  'patient.preferred_language': 'Preferred language',
  'patient.preferred_channel': 'Preferred contact',
  'patient.emergency_name': 'Emergency contact name',
  'patient.emergency_relationship': 'Emergency contact relationship',
  'patient.emergency_phone': 'Emergency contact phone',
  'patient.guardian_patient_id': 'Guardian (patient)',
  'patient.guardian_name': 'Guardian name',
  'patient.guardian_relationship': 'Guardian relationship',
  'patient.guardian_phone': 'Guardian phone',
  'patient.notes': 'Notes',
  'patient.status': 'Status',
  'patient_phone.e164': 'Phone number',
  'patient_phone.type': 'Phone type',
  'patient_phone.preferred': 'Preferred phone',
  'patient_document.type': 'Document type',
  'patient_document.number': 'Document number',
  'patient_document.issuing_country': 'Document issuing country',
  'patient_insurance.payer': 'Insurance payer',
  'patient_insurance.member_number': 'Insurance member number',
  'patient_insurance.valid_from': 'Insurance valid from',
  'patient_insurance.valid_to': 'Insurance valid to',
  'patient_phone.deleted': 'Phone number',
  'patient_document.deleted': 'Identity document',
  'patient_insurance.deleted': 'Insurance policy',
  'patient_alert.deleted': 'Alert',
  'patient_alert.kind': 'Alert type',
  'patient_alert.description': 'Alert',
  'patient_alert.severity': 'Alert severity',
};

const TABLE_LABELS: Record<string, string> = {
  patient: 'Record',
  patient_phone: 'Phone',
  patient_document: 'Identity document',
  patient_insurance: 'Insurance',
  patient_alert: 'Alert',
};

/** Readable label of a history field; unknown columns are spelled out rather than hidden. */
export function historyFieldLabel(field: string): string {
  const known = HISTORY_FIELD_LABELS[field];
  if (known) return known;
  const [table = '', column = ''] = field.split('.', 2);
  const words = column.replace(/_/g, ' ');
  const prefix = TABLE_LABELS[table];
  const text = prefix && table !== 'patient' ? `${prefix} ${words}` : words || field;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const ENUM_LABELS: Record<string, Record<string, string>> = {
  'patient.sex': SEX_LABELS,
  'patient.status': STATUS_LABELS,
  'patient.preferred_channel': CHANNEL_LABELS,
  'patient_phone.type': PHONE_TYPE_LABELS,
  'patient_document.type': DOCUMENT_TYPE_LABELS,
  'patient_alert.kind': ALERT_KIND_LABELS,
  'patient_alert.severity': SEVERITY_LABELS,
};

const PHONE_FIELDS = new Set([
  'patient_phone.e164',
  'patient.emergency_phone',
  'patient.guardian_phone',
]);
const DATE_FIELDS = new Set([
  'patient.date_of_birth',
  'patient_insurance.valid_from',
  'patient_insurance.valid_to',
]);

/** The new value of a history entry as staff would read it. */
export function historyValue(
  change: Pick<FieldChange, 'field' | 'value' | 'operation'>,
  clinic: { country: string; locale: string },
): string {
  if (change.operation === 'delete') return '—';
  const v = change.value;
  if (v === null || v === undefined || v === '') return '(empty)';
  if (change.field === 'patient_phone.preferred') return v === 1 || v === true ? 'Yes' : 'No';
  const s = String(v);
  if (PHONE_FIELDS.has(change.field)) return formatPhone(s, clinic.country || 'GB');
  if (DATE_FIELDS.has(change.field)) return formatDate(s, clinic.locale);
  return ENUM_LABELS[change.field]?.[s] ?? s;
}
