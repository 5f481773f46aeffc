import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

/** A patient's recall for one appointment type: due again `interval_months` after a visit. */
export interface RecallTable extends ReplicatedColumns {
  patient_id: string;
  type_id: string;
  interval_months: number;
  due_date: string;
  last_visit_date: string | null;
  /** `active` or `stopped`. */
  status: string;
  notes: string | null;
}
export type RecallRow = Selectable<RecallTable>;
export type NewRecall = Insertable<RecallTable>;
export type RecallUpdate = Updateable<RecallTable>;
