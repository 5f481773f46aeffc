import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

export interface AppointmentTypeTable extends ReplicatedColumns {
  name: string;
  /** Default length in 5-minute units. */
  duration_units: number;
  colour: string;
  /** JSON array of provider kinds allowed to do this type. */
  allowed_provider_kinds: string;
  /** JSON array of procedure codes proposed when booked, or null. */
  default_procedure_codes: string | null;
  position: number;
  active: number;
}
export type AppointmentTypeRow = Selectable<AppointmentTypeTable>;
export type NewAppointmentType = Insertable<AppointmentTypeTable>;
export type AppointmentTypeUpdate = Updateable<AppointmentTypeTable>;
