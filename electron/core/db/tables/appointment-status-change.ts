import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

/** Insert-only: who moved an appointment to which status, and when. */
export interface AppointmentStatusChangeTable extends ReplicatedColumns {
  appointment_id: string;
  patient_id: string;
  status: string;
  previous_status: string | null;
  /** Staff id from the session. */
  changed_by: string | null;
  changed_at: number;
  reason: string | null;
}
export type AppointmentStatusChangeRow = Selectable<AppointmentStatusChangeTable>;
export type NewAppointmentStatusChange = Insertable<AppointmentStatusChangeTable>;
export type AppointmentStatusChangeUpdate = Updateable<AppointmentStatusChangeTable>;
