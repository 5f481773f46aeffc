import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

/** A provider's working hours and breaks for a weekday or one date. */
export interface ProviderHoursTable extends ReplicatedColumns {
  provider_id: string;
  day: string;
  /** JSON array of `{ start, end }`; empty means not working. */
  hours: string;
  /** JSON array of `{ start, end }` taken out of `hours`. */
  breaks: string;
}
export type ProviderHoursRow = Selectable<ProviderHoursTable>;
export type NewProviderHours = Insertable<ProviderHoursTable>;
export type ProviderHoursUpdate = Updateable<ProviderHoursTable>;
