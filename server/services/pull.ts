import { pageChecksum } from '../../shared/sync/crypto';
import {
  SYNC_LIMITS,
  type MessageHeader,
  type PulledMessage,
  type PullPage,
} from '../../shared/sync/protocol';
import type { RelayContext } from '../context';
import { relayCrypto } from '../crypto';
import type { MessageRow } from '../db/tables/message';

/** Room left for the page's envelope (cursor, checksum, flags) around the messages. */
const ENVELOPE_BYTES = 512;

export function headerOf(row: MessageRow): MessageHeader {
  return {
    v: row.v as 1,
    bucket: row.bucket_id,
    device: row.device_id,
    deviceSeq: row.device_seq,
    hlc: row.hlc,
    table: row.table_name,
    rowId: row.row_id,
    subject: row.subject,
    op: row.op,
    schema: row.schema_version,
    keyId: row.key_id,
  };
}

/**
 * The messages of a bucket after `after`, in server order, as many as fit in `limit` and in
 * 1 MB of JSON (at least one). Header strings are ASCII by schema, so characters are bytes.
 */
export async function readPage(
  ctx: RelayContext,
  bucket: string,
  after: number,
  limit: number,
): Promise<PullPage> {
  const rows = await ctx.store.db
    .selectFrom('message')
    .selectAll()
    .where('bucket_id', '=', bucket)
    .where('server_seq', '>', after)
    .orderBy('server_seq')
    .limit(limit + 1)
    .execute();
  const messages: PulledMessage[] = [];
  const payloads: Uint8Array[] = [];
  let bytes = ENVELOPE_BYTES;
  let more = rows.length > limit;
  for (const row of rows.slice(0, limit)) {
    const message: PulledMessage = {
      serverSeq: row.server_seq,
      header: headerOf(row),
      payload: Buffer.from(
        row.payload.buffer,
        row.payload.byteOffset,
        row.payload.byteLength,
      ).toString('base64'),
    };
    const size = JSON.stringify(message).length + 1;
    if (messages.length > 0 && bytes + size > SYNC_LIMITS.pageBytes) {
      more = true;
      break;
    }
    bytes += size;
    messages.push(message);
    payloads.push(row.payload);
  }
  const checksum = pageChecksum(
    relayCrypto,
    messages.map((m, i) => ({ serverSeq: m.serverSeq, header: m.header, payload: payloads[i]! })),
  );
  const last = messages.at(-1);
  return {
    messages,
    nextCursor: String(last ? last.serverSeq : after),
    checksum,
    more,
  };
}

export async function bucketHead(ctx: RelayContext, bucket: string): Promise<number> {
  const row = await ctx.store.db
    .selectFrom('bucket')
    .select('counter')
    .where('id', '=', bucket)
    .executeTakeFirst();
  return row?.counter ?? 0;
}
