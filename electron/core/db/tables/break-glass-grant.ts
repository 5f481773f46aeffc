import type { Insertable, Selectable } from 'kysely';

/** Emergency access to one patient beyond a role, with a mandatory reason; expires; reviewed later. */
export interface BreakGlassGrantTable {
  id: string;
  staff_id: string;
  patient_id: string;
  reason: string;
  granted_at: string;
  expires_at: string;
  reviewed_by: string | null;
  reviewed_at: string | null;
}
export type BreakGlassGrantRow = Selectable<BreakGlassGrantTable>;
export type NewBreakGlassGrant = Insertable<BreakGlassGrantTable>;
