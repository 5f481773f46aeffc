import type { Insertable, Selectable } from 'kysely';
import type { MessageOp } from '../../../shared/sync/protocol';

/**
 * One sealed row change in a bucket's log: the clear header's fields and the ciphertext.
 * `(device_id, device_seq)` is unique: a repeated push finds its message and stores nothing.
 */
export interface MessageTable {
  bucket_id: string;
  server_seq: number;
  v: number;
  device_id: string;
  device_seq: number;
  hlc: string;
  table_name: string;
  row_id: string;
  subject: string | null;
  op: MessageOp;
  schema_version: number;
  key_id: string;
  payload: Uint8Array;
  /** `receiptDigest` of header and payload: tells a repeated push from a reused number. */
  digest: string;
  received_at: number;
}
export type MessageRow = Selectable<MessageTable>;
export type NewMessage = Insertable<MessageTable>;
