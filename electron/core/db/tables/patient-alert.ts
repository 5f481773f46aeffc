import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

export interface PatientAlertTable extends ReplicatedColumns {
  patient_id: string;
  kind: string;
  description: string;
  severity: string;
}
export type PatientAlertRow = Selectable<PatientAlertTable>;
export type NewPatientAlert = Insertable<PatientAlertTable>;
export type PatientAlertUpdate = Updateable<PatientAlertTable>;
