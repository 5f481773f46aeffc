import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

export interface PatientDocumentTable extends ReplicatedColumns {
  patient_id: string;
  type: string;
  number: string;
  issuing_country: string;
}
export type PatientDocumentRow = Selectable<PatientDocumentTable>;
export type NewPatientDocument = Insertable<PatientDocumentTable>;
export type PatientDocumentUpdate = Updateable<PatientDocumentTable>;
