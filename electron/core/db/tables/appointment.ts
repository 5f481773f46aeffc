import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

export interface AppointmentTable extends ReplicatedColumns {
  patient_id: string;
  chair_id: string;
  provider_id: string;
  type_id: string;
  /** UTC epoch milliseconds. */
  starts_at: number;
  ends_at: number;
  status: string;
  notes: string | null;
  cancel_reason: string | null;
  /** `patient` or `clinic`. */
  cancelled_by: string | null;
  /** 1 when cancelled with less notice than the policy asks, decided when cancelled. */
  late_cancellation: number | null;
}
export type AppointmentRow = Selectable<AppointmentTable>;
export type NewAppointment = Insertable<AppointmentTable>;
export type AppointmentUpdate = Updateable<AppointmentTable>;
