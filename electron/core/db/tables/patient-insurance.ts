import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

export interface PatientInsuranceTable extends ReplicatedColumns {
  patient_id: string;
  payer: string;
  member_number: string;
  valid_from: string | null;
  valid_to: string | null;
}
export type PatientInsuranceRow = Selectable<PatientInsuranceTable>;
export type NewPatientInsurance = Insertable<PatientInsuranceTable>;
export type PatientInsuranceUpdate = Updateable<PatientInsuranceTable>;
