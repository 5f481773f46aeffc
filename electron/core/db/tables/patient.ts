import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

export interface PatientTable extends ReplicatedColumns {
  chart_number: string;
  title: string | null;
  given_names: string;
  family_name: string;
  patronymic: string | null;
  preferred_name: string | null;
  date_of_birth: string;
  sex: string;
  gender: string | null;
  email: string | null;
  address_line1: string | null;
  address_line2: string | null;
  address_city: string | null;
  address_region: string | null;
  address_postal_code: string | null;
  address_country: string | null;
  preferred_language: string | null;
  preferred_channel: string | null;
  emergency_name: string | null;
  emergency_relationship: string | null;
  emergency_phone: string | null;
  guardian_patient_id: string | null;
  guardian_name: string | null;
  guardian_relationship: string | null;
  guardian_phone: string | null;
  notes: string | null;
  status: string;
  /** Derived locally (folded family + given names) for list order; not replicated. */
  name_key: string;
}
export type PatientRow = Selectable<PatientTable>;
export type NewPatient = Insertable<PatientTable>;
export type PatientUpdate = Updateable<PatientTable>;
