import type { Insertable, Selectable } from 'kysely';

/**
 * That a device's message `device_seq` was settled although the log no longer holds it: it was
 * shredded, or it arrived for an already shredded subject and was discarded (`server_seq` null).
 * Only numbers and a digest, no header fields beyond the bucket, no payload. A replayed push of
 * such a message is recognised here and not stored again.
 */
export interface ReceiptTable {
  device_id: string;
  device_seq: number;
  bucket_id: string;
  server_seq: number | null;
  digest: string;
}
export type ReceiptRow = Selectable<ReceiptTable>;
export type NewReceipt = Insertable<ReceiptTable>;
