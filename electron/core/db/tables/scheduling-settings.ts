import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

/** The clinic's scheduling policies: one row. */
export interface SchedulingSettingsTable extends ReplicatedColumns {
  /** JSON `LateCancellationPolicy`. */
  late_cancellation: string;
}
export type SchedulingSettingsRow = Selectable<SchedulingSettingsTable>;
export type NewSchedulingSettings = Insertable<SchedulingSettingsTable>;
export type SchedulingSettingsUpdate = Updateable<SchedulingSettingsTable>;
