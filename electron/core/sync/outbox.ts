import {
  hlcText,
  messageHeader,
  rowId as rowIdText,
  sequenceNumber,
  SYNC_LIMITS,
  tableName,
  type MessageHeader,
  type PushResult,
  type SyncMessage,
} from '../../../shared/sync/protocol';
import type { SqliteDatabase } from '../db/store';
import type { Value } from './apply';
import type { SyncCrypto } from './crypto';
import { NoncePool, sealBytesWithNonce } from './messages';
import { encodeChangeBody } from './payload';
import { readState, updateState, type ClinicKeys, type SyncStateRow } from './state';

/**
 * This workstation's changes on their way to the relay. The outbox is change_log itself: every
 * local write appends its change there in the write's own transaction. Here those rows are
 * numbered (the protocol's gapless `deviceSeq`) into `sync_outbox`, with what makes the sealed
 * message the same bytes at every attempt (bucket, key id, schema, nonce), and they leave only
 * when the relay has taken them. A refused message stays, marked with the relay's reason, and
 * the ones after it go on.
 */
export interface OutboxContext {
  sqlite: SqliteDatabase;
  crypto: SyncCrypto;
  /** change_log.device_id of changes made here. */
  localDeviceId: string;
  /** This workstation's id at the relay. */
  relayDevice: string;
  bucket: string;
  keys: ClinicKeys;
  /** Local schema version, stamped on each message. */
  schema: number;
}

/** Refusals that can pass later without anyone changing anything: tried again after a while. */
export const RETRIED_REFUSALS: ReadonlySet<string> = new Set(['CLOCK_SKEW']);
export const RETRY_AFTER_MS = 30_000;

const nonces = new NoncePool();

interface ChangeRow {
  seq: number;
  hlc: string;
  author_id: string | null;
  table_name: string;
  row_id: string;
  subject_id: string | null;
  operation: 'insert' | 'update' | 'delete';
  payload: string;
}

interface OutboxRow extends ChangeRow {
  device_seq: number;
  bucket: string;
  key_id: string;
  schema: number;
  nonce: Uint8Array;
}

function headerOf(
  row: ChangeRow,
  o: { device: string; deviceSeq: number; bucket: string; keyId: string; schema: number },
): MessageHeader {
  return {
    v: 1,
    bucket: o.bucket,
    device: o.device,
    deviceSeq: o.deviceSeq,
    hlc: row.hlc,
    table: row.table_name,
    rowId: row.row_id,
    subject: row.subject_id,
    op: row.operation === 'delete' ? 'delete' : 'upsert',
    schema: o.schema,
    keyId: o.keyId,
  };
}

function plaintextOf(row: ChangeRow): Uint8Array {
  return encodeChangeBody({
    author: row.author_id,
    insert: row.operation === 'insert',
    columns: JSON.parse(row.payload) as Record<string, Value>,
  });
}

/**
 * `messageHeader.safeParse(h).success`, for many headers that differ only in their row's fields:
 * what the outbox puts in every header of a batch (version, bucket, device, schema, key id) is
 * checked in full once, the row's own fields each time (a full parse per change would cost a
 * tenth of numbering the outbox).
 */
function headerChecker(): (header: MessageHeader) => boolean {
  let checkedConstants: string | null = null;
  return (h) => {
    const constants = `${h.v}\u0000${h.bucket}\u0000${h.device}\u0000${h.schema}\u0000${h.keyId}`;
    if (constants !== checkedConstants) {
      if (!messageHeader.safeParse(h).success) return false;
      checkedConstants = constants;
      return true;
    }
    return (
      sequenceNumber.safeParse(h.deviceSeq).success &&
      hlcText.safeParse(h.hlc).success &&
      tableName.safeParse(h.table).success &&
      rowIdText.safeParse(h.rowId).success &&
      (h.subject === null || rowIdText.safeParse(h.subject).success) &&
      (h.op === 'upsert' || h.op === 'delete')
    );
  };
}

/** Largest plaintext that seals into a payload the relay accepts. */
const MAX_PLAINTEXT = SYNC_LIMITS.payloadBytes - SYNC_LIMITS.sealedOverheadBytes;

/**
 * Numbers up to `limit` unsent changes into the outbox; returns how many. Synchronous: run it in a
 * transaction on the store's connection, so numbering commits with the rest.
 */
export function prepareOutbox(ctx: OutboxContext, at: string, limit = 5000): number {
  const { sqlite } = ctx;
  const state = readState(sqlite);
  const from = Math.max(state.prepared_through, state.outbox_from);
  const rows = sqlite
    .prepare(
      `SELECT seq, hlc, author_id, table_name, row_id, subject_id, operation, payload
       FROM change_log WHERE seq > ? AND device_id = ? ORDER BY seq LIMIT ?`,
    )
    .all(from, ctx.localDeviceId, limit) as ChangeRow[];
  // Everything up to the newest change has been looked at when fewer than `limit` were found:
  // the next look starts there, past the changes that came from other workstations.
  const newest = sqlite.prepare('SELECT max(seq) FROM change_log').pluck().get() as number | null;
  if (rows.length === 0) {
    if (newest !== null && newest > state.prepared_through)
      updateState(sqlite, { prepared_through: newest });
    return 0;
  }
  const insert = sqlite.prepare(
    `INSERT INTO sync_outbox (device_seq, change_seq, bucket, key_id, schema, nonce, state, code,
       reason, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let seq = state.next_device_seq;
  const sendable = headerChecker();
  for (const row of rows) {
    const header = headerOf(row, {
      device: ctx.relayDevice,
      deviceSeq: seq,
      bucket: ctx.bucket,
      keyId: ctx.keys.currentId,
      schema: ctx.schema,
    });
    // The relay refuses a whole batch over one bad message: check each here, so a change that
    // cannot travel is kept and shown instead of blocking the ones after it.
    const tooLarge =
      Buffer.byteLength(row.payload) + 200 > MAX_PLAINTEXT &&
      plaintextOf(row).length > MAX_PLAINTEXT;
    const problem = !sendable(header)
      ? 'This change cannot be sent: one of its identifiers is not in a form the relay accepts'
      : tooLarge
        ? 'This change is too large to send'
        : null;
    insert.run(
      seq,
      row.seq,
      ctx.bucket,
      ctx.keys.currentId,
      ctx.schema,
      nonces.next(),
      problem ? 'rejected' : 'pending',
      problem ? 'NOT_SENDABLE' : null,
      problem,
      at,
    );
    seq += 1;
  }
  updateState(sqlite, {
    prepared_through: rows.length < limit && newest !== null ? newest : rows.at(-1)!.seq,
    next_device_seq: seq,
  });
  return rows.length;
}

/** The newest change_log entry's number (0 when there is none). */
export function newestChange(sqlite: SqliteDatabase): number {
  return (sqlite.prepare('SELECT max(seq) FROM change_log').pluck().get() as number | null) ?? 0;
}

/**
 * After changes from elsewhere were applied in the current transaction (change_log was at
 * `newestBefore` when it began): the outbox looks for this workstation's changes past
 * `prepared_through`, and when it had looked at everything before this transaction, the rows
 * just written are all from elsewhere. Moving the mark past them keeps that look, and the count
 * of waiting changes the indicator shows every few hundred milliseconds during a bootstrap, from
 * reading the whole clinic again and again. Run it in the transaction that applied them.
 */
export function skipAppliedChanges(
  sqlite: SqliteDatabase,
  state: Pick<SyncStateRow, 'prepared_through' | 'outbox_from'>,
  newestBefore: number,
): void {
  if (Math.max(state.prepared_through, state.outbox_from) < newestBefore) return;
  const newestAfter = newestChange(sqlite);
  if (newestAfter > newestBefore) updateState(sqlite, { prepared_through: newestAfter });
}

/** Whether this workstation has changes not yet numbered into the outbox. */
export function hasUnsealed(sqlite: SqliteDatabase, localDeviceId: string): boolean {
  const state = readState(sqlite);
  return (
    sqlite
      .prepare('SELECT 1 FROM change_log WHERE seq > ? AND device_id = ? LIMIT 1')
      .get(Math.max(state.prepared_through, state.outbox_from), localDeviceId) !== undefined
  );
}

export interface Batch {
  deviceSeqs: number[];
  messages: SyncMessage[];
  /** Each message's payload before base64, for the batch signature. */
  payloads: Uint8Array[];
}

/**
 * The next messages to push, sealed, in number order: every pending one, and refused ones whose
 * refusal may since have passed (a clock that was ahead), once `retryBefore` is past their last
 * attempt. The same outbox row always seals to the same bytes.
 */
export function nextBatch(
  ctx: Pick<OutboxContext, 'sqlite' | 'crypto' | 'keys' | 'relayDevice'>,
  afterSeq: number,
  retryBefore: string,
): Batch {
  const rows = ctx.sqlite
    .prepare(
      `SELECT o.device_seq, o.bucket, o.key_id, o.schema, o.nonce, c.seq, c.hlc, c.author_id,
         c.table_name, c.row_id, c.subject_id, c.operation, c.payload
       FROM sync_outbox o JOIN change_log c ON c.seq = o.change_seq
       WHERE o.device_seq > ? AND (o.state = 'pending'
         OR (o.state = 'rejected' AND o.code IN (${[...RETRIED_REFUSALS].map(() => '?').join(', ')})
             AND o.updated_at < ?))
       ORDER BY o.device_seq LIMIT ?`,
    )
    .all(afterSeq, ...RETRIED_REFUSALS, retryBefore, SYNC_LIMITS.batchMessages) as OutboxRow[];
  const batch: Batch = { deviceSeqs: [], messages: [], payloads: [] };
  // Room for the envelope and the signature; JSON text is what travels.
  let bytes = 1024;
  for (const row of rows) {
    const key = ctx.keys.byId.get(row.key_id);
    if (!key) continue;
    const header = headerOf(row, {
      device: ctx.relayDevice,
      deviceSeq: row.device_seq,
      bucket: row.bucket,
      keyId: row.key_id,
      schema: row.schema,
    });
    const sealed = sealBytesWithNonce(ctx.crypto, header, plaintextOf(row), row.nonce, key);
    const message: SyncMessage = { header, payload: sealed.toString('base64') };
    const size = JSON.stringify(message).length + 1;
    if (batch.messages.length > 0 && bytes + size > SYNC_LIMITS.batchBytes - 64 * 1024) break;
    bytes += size;
    batch.deviceSeqs.push(row.device_seq);
    batch.messages.push(message);
    batch.payloads.push(sealed);
  }
  return batch;
}

/** Forgets what the relay took and marks what it refused. Synchronous, in a transaction. */
export function settleBatch(
  sqlite: SqliteDatabase,
  batch: Batch,
  result: PushResult,
  at: string,
): void {
  const sent = new Set(batch.deviceSeqs);
  const drop = sqlite.prepare('DELETE FROM sync_outbox WHERE device_seq = ?');
  for (const seq of result.accepted) if (sent.has(seq)) drop.run(seq);
  const mark = sqlite.prepare(
    `UPDATE sync_outbox SET state = 'rejected', code = ?, reason = ?, attempts = attempts + 1,
       updated_at = ? WHERE device_seq = ?`,
  );
  for (const r of result.rejected)
    if (sent.has(r.deviceSeq)) mark.run(r.code, r.message, at, r.deviceSeq);
  const state = readState(sqlite);
  if (result.highestContiguousSeq > state.acked_through)
    updateState(sqlite, { acked_through: result.highestContiguousSeq });
}

/** What the sync screen shows of refused changes: their table and row, never their values. */
export function refusedChanges(sqlite: SqliteDatabase, limit = 500) {
  return sqlite
    .prepare(
      `SELECT c.table_name, c.row_id, o.code, o.reason, o.updated_at FROM sync_outbox o
       JOIN change_log c ON c.seq = o.change_seq WHERE o.state = 'rejected'
       ORDER BY o.device_seq LIMIT ?`,
    )
    .all(limit) as Array<{
    table_name: string;
    row_id: string;
    code: string;
    reason: string;
    updated_at: string;
  }>;
}
