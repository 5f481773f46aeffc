import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

export interface StaffTable extends ReplicatedColumns {
  username: string;
  display_name: string;
  role: string;
  status: string;
  /** Link to a provider (scheduling), when the staff member treats patients. */
  provider_id: string | null;
}
export type StaffRow = Selectable<StaffTable>;
export type NewStaff = Insertable<StaffTable>;
export type StaffUpdate = Updateable<StaffTable>;
