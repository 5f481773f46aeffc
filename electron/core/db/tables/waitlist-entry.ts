import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

/** A patient who wants an (earlier) appointment when one frees up. */
export interface WaitlistEntryTable extends ReplicatedColumns {
  patient_id: string;
  type_id: string | null;
  provider_id: string | null;
  duration_minutes: number;
  /** JSON array of weekdays, or null for any. */
  preferred_weekdays: string | null;
  /** JSON array of `{ start, end }`, or null for any time. */
  preferred_times: string | null;
  /** The booking to bring forward, when the patient already has one. */
  current_appointment_id: string | null;
  asap: number;
  notes: string | null;
  /** `waiting`, `booked` or `removed`. */
  status: string;
  booked_appointment_id: string | null;
}
export type WaitlistEntryRow = Selectable<WaitlistEntryTable>;
export type NewWaitlistEntry = Insertable<WaitlistEntryTable>;
export type WaitlistEntryUpdate = Updateable<WaitlistEntryTable>;
