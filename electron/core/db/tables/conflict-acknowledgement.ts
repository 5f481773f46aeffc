import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

/** Insert-only: an accepted conflict (a double booking on purpose), with who, when and why. */
export interface ConflictAcknowledgementTable extends ReplicatedColumns {
  /** A `Conflict.id` from shared/scheduling. */
  conflict_id: string;
  appointment_id: string;
  other_appointment_id: string | null;
  reason: string;
  acknowledged_by: string | null;
  acknowledged_at: number;
}
export type ConflictAcknowledgementRow = Selectable<ConflictAcknowledgementTable>;
export type NewConflictAcknowledgement = Insertable<ConflictAcknowledgementTable>;
export type ConflictAcknowledgementUpdate = Updateable<ConflictAcknowledgementTable>;
