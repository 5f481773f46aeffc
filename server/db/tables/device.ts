import type { Generated, Insertable, Selectable } from 'kysely';
import type { DeviceStatus } from '../../../shared/sync/protocol';

/**
 * An enrolled workstation. Keys are base64 public keys: Ed25519 to verify its signatures, X25519
 * for others to seal clinic keys to it. `contiguous_seq` is the highest N such that its messages
 * 1..N are all settled at the relay; `highest_seq` the highest settled at all, so a push of new
 * numbers only can skip looking for receipts.
 */
export interface DeviceTable {
  id: string;
  clinic_id: string;
  name: string;
  signing_key: string;
  box_key: string;
  status: DeviceStatus;
  created_at: number;
  last_seen: number | null;
  revoked_at: number | null;
  contiguous_seq: Generated<number>;
  highest_seq: Generated<number>;
}
export type DeviceRow = Selectable<DeviceTable>;
export type NewDevice = Insertable<DeviceTable>;
