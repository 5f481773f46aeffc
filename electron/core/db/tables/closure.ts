import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

/** A holiday or closure of the clinic, one chair or one provider, in clinic-local dates. */
export interface ClosureTable extends ReplicatedColumns {
  start_date: string;
  /** Inclusive. */
  end_date: string;
  start_time: string | null;
  end_time: string | null;
  chair_id: string | null;
  provider_id: string | null;
  reason: string | null;
}
export type ClosureRow = Selectable<ClosureTable>;
export type NewClosure = Insertable<ClosureTable>;
export type ClosureUpdate = Updateable<ClosureTable>;
