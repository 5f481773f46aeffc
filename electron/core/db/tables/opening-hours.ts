import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

/** The clinic's hours for a weekday (`mon`..`sun`) or one date (`YYYY-MM-DD`, replacing the weekday). */
export interface OpeningHoursTable extends ReplicatedColumns {
  day: string;
  /** JSON array of `{ start, end }` wall-clock ranges; empty means closed. */
  hours: string;
}
export type OpeningHoursRow = Selectable<OpeningHoursTable>;
export type NewOpeningHours = Insertable<OpeningHoursTable>;
export type OpeningHoursUpdate = Updateable<OpeningHoursTable>;
