import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

export interface PatientPhoneTable extends ReplicatedColumns {
  patient_id: string;
  e164: string;
  type: string;
  preferred: number;
}
export type PatientPhoneRow = Selectable<PatientPhoneTable>;
export type NewPatientPhone = Insertable<PatientPhoneTable>;
export type PatientPhoneUpdate = Updateable<PatientPhoneTable>;
