import { sql, type Transaction } from 'kysely';
import { decodeHlc } from '../../shared/hlc';
import { Base64Error } from '../../shared/sync/base64';
import type { DecodedMessage } from '../../shared/sync/canonical';
import { decodeMessages, receiptDigest, verifyBatchSignature } from '../../shared/sync/crypto';
import {
  MAX_CLOCK_AHEAD_MS,
  type MessageRejection,
  type PushBatch,
  type PushResult,
} from '../../shared/sync/protocol';
import type { SignedInDevice } from '../auth';
import { revoked } from '../auth';
import type { RelayContext } from '../context';
import { relayCrypto } from '../crypto';
import type { RelayDialect } from '../db/dialect';
import { appendMessages, appendReceipts } from '../db/message-log';
import type { RelayDatabase } from '../db/schema';
import type { NewMessage } from '../db/tables/message';
import type { NewReceipt } from '../db/tables/receipt';
import { RelayError } from '../errors';

type Tx = Transaction<RelayDatabase>;

/** Values per IN list: well under SQLite's and Postgres' parameter limits. */
const CHUNK = 1000;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface PushOutcome {
  result: PushResult;
  /** Last server_seq stored by this push, or null when nothing new was stored. */
  lastServerSeq: number | null;
  stored: number;
}

function minutesAhead(ms: number): string {
  return (ms / 60_000).toFixed(1);
}

/**
 * Takes the locks every accepting transaction needs, bucket first and device second everywhere,
 * so concurrent pushes cannot deadlock. On SQLite the whole transaction is already exclusive.
 */
async function lockBucketAndDevice(tx: Tx, dialect: RelayDialect, bucket: string, device: string) {
  const bucketRow = await tx
    .selectFrom('bucket')
    .select('counter')
    .where('id', '=', bucket)
    .$if(dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirst();
  const deviceRow = await tx
    .selectFrom('device')
    .select(['status', 'contiguous_seq', 'highest_seq'])
    .where('id', '=', device)
    .$if(dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirst();
  if (!bucketRow) throw new RelayError(403, 'FORBIDDEN_BUCKET', 'The bucket does not exist');
  if (!deviceRow || deviceRow.status !== 'active') throw revoked();
  return {
    counter: bucketRow.counter,
    contiguous: deviceRow.contiguous_seq,
    highest: deviceRow.highest_seq,
  };
}

/** Digests of this device's messages with these numbers: in the log, or receipts of shredded ones. */
async function settledDigests(tx: Tx, device: string, seqs: number[]) {
  const known = new Map<number, string>();
  for (const part of chunks(seqs)) {
    const inLog = await tx
      .selectFrom('message')
      .select(['device_seq', 'digest'])
      .where('device_id', '=', device)
      .where('device_seq', 'in', part)
      .execute();
    const gone = await tx
      .selectFrom('receipt')
      .select(['device_seq', 'digest'])
      .where('device_id', '=', device)
      .where('device_seq', 'in', part)
      .execute();
    for (const r of [...inLog, ...gone]) known.set(r.device_seq, r.digest);
  }
  return known;
}

async function shreddedSubjects(tx: Tx, bucket: string, subjects: string[]) {
  const shredded = new Set<string>();
  for (const part of chunks(subjects)) {
    const rows = await tx
      .selectFrom('message')
      .select('subject')
      .distinct()
      .where('bucket_id', '=', bucket)
      // A literal, not a parameter, so SQLite can use the partial index of shreds.
      .where(sql<boolean>`op = 'shred'`)
      .where('subject', 'in', part)
      .execute();
    for (const r of rows) if (r.subject !== null) shredded.add(r.subject);
  }
  return shredded;
}

/**
 * Advances the device's watermark over every settled sequence number that follows it: first over
 * this batch's (the usual case, no query), then over any that arrived earlier out of order.
 */
async function advanceWatermark(
  tx: Tx,
  device: string,
  from: number,
  settledNow: ReadonlySet<number>,
): Promise<number> {
  let watermark = from;
  for (;;) {
    while (settledNow.has(watermark + 1)) watermark += 1;
    const following = async (table: 'message' | 'receipt') =>
      (
        await tx
          .selectFrom(table)
          .select('device_seq')
          .where('device_id', '=', device)
          .where('device_seq', '>', watermark)
          .orderBy('device_seq')
          .limit(1000)
          .execute()
      ).map((r) => r.device_seq);
    const rows = [...(await following('message')), ...(await following('receipt'))].sort(
      (x, y) => x - y,
    );
    let advanced = false;
    for (const seq of rows) {
      if (seq !== watermark + 1) break;
      watermark += 1;
      advanced = true;
    }
    if (!advanced) return watermark;
  }
}

/**
 * Accepts a signed batch into one bucket's log, in one transaction. Messages are checked one by
 * one: a message that breaks a rule is listed in `rejected` and the others go on. A message the
 * relay already holds (same device, sequence and digest) is accepted again without being stored
 * twice, so a repeated push gets the same answer. A shred deletes every stored message of its
 * subject in the bucket except shreds; later changes to a shredded subject are acknowledged and
 * discarded, so a workstation that was offline cannot bring the erased data back.
 */
export async function acceptBatch(
  ctx: RelayContext,
  caller: SignedInDevice,
  bucket: string,
  batch: PushBatch,
): Promise<PushOutcome> {
  if (batch.device !== caller.id)
    throw new RelayError(
      403,
      'WRONG_DEVICE',
      'The batch names another workstation than the one signed in',
    );
  let decoded: DecodedMessage[];
  try {
    decoded = decodeMessages(batch.messages);
  } catch (error) {
    if (error instanceof Base64Error)
      throw new RelayError(400, 'VALIDATION', 'Invalid batch: a payload is not canonical base64');
    throw error;
  }
  if (!verifyBatchSignature(relayCrypto, batch.device, decoded, batch.signature, caller.signingKey))
    throw new RelayError(
      400,
      'BAD_SIGNATURE',
      "The batch signature does not match this workstation's key; nothing was stored",
    );
  const digests = decoded.map((m) => receiptDigest(relayCrypto, m));
  const now = ctx.now();
  const { dialect, db } = ctx.store;

  return db.transaction().execute(async (tx) => {
    const locked = await lockBucketAndDevice(tx, dialect, bucket, caller.id);
    let counter = locked.counter;
    // Numbers above the highest ever settled cannot be known: usually the whole batch.
    const settled = await settledDigests(
      tx,
      caller.id,
      decoded.map((m) => m.header.deviceSeq).filter((seq) => seq <= locked.highest),
    );
    const subjects = [
      ...new Set(decoded.flatMap((m) => (m.header.subject === null ? [] : [m.header.subject]))),
    ];
    const shredded = await shreddedSubjects(tx, bucket, subjects);
    const shredsInBatch = new Set<string>();

    const accepted: number[] = [];
    const acceptedHere = new Set<number>();
    const rejected: MessageRejection[] = [];
    const newMessages: NewMessage[] = [];
    /** Accepted but not kept: changes to a subject that was already shredded. */
    const discarded: NewReceipt[] = [];
    const reject = (deviceSeq: number, code: MessageRejection['code'], message: string) =>
      rejected.push({ deviceSeq, code, message });

    decoded.forEach((m, i) => {
      const h = m.header;
      const digest = digests[i]!;
      if (h.device !== batch.device)
        return reject(
          h.deviceSeq,
          'WRONG_DEVICE',
          'The message names another workstation than the batch',
        );
      if (h.bucket !== bucket)
        return reject(
          h.deviceSeq,
          'WRONG_BUCKET',
          'The message belongs to another bucket than the one pushed to',
        );
      const known = settled.get(h.deviceSeq);
      if (known !== undefined) {
        if (known === digest) {
          if (!acceptedHere.has(h.deviceSeq)) accepted.push(h.deviceSeq);
          acceptedHere.add(h.deviceSeq);
          return;
        }
        return reject(
          h.deviceSeq,
          'SEQ_REUSED',
          'This device sequence number was already used for a different change',
        );
      }
      const ahead = decodeHlc(h.hlc).millis - now;
      if (ahead > MAX_CLOCK_AHEAD_MS)
        return reject(
          h.deviceSeq,
          'CLOCK_SKEW',
          `The change is stamped ${minutesAhead(ahead)} minutes ahead of the relay's clock (the limit is 5 minutes); correct the workstation's clock and sync again`,
        );
      settled.set(h.deviceSeq, digest);
      accepted.push(h.deviceSeq);
      acceptedHere.add(h.deviceSeq);
      if (h.subject !== null && h.op !== 'shred' && shredded.has(h.subject)) {
        discarded.push({
          device_id: caller.id,
          device_seq: h.deviceSeq,
          bucket_id: bucket,
          server_seq: null,
          digest,
        });
        return;
      }
      counter += 1;
      newMessages.push({
        bucket_id: bucket,
        server_seq: counter,
        v: h.v,
        device_id: h.device,
        device_seq: h.deviceSeq,
        hlc: h.hlc,
        table_name: h.table,
        row_id: h.rowId,
        subject: h.subject,
        op: h.op,
        schema_version: h.schema,
        key_id: h.keyId,
        payload: m.payload,
        digest,
        received_at: now,
      });
      if (h.op === 'shred' && h.subject !== null) {
        shredded.add(h.subject);
        shredsInBatch.add(h.subject);
      }
    });

    await appendMessages(ctx.store, tx, newMessages);
    await appendReceipts(ctx.store, tx, discarded);
    if (counter !== locked.counter)
      await tx.updateTable('bucket').set({ counter }).where('id', '=', bucket).execute();
    for (const subject of shredsInBatch) {
      // Their receipts outlive them, so a replay of a shredded change is recognised, not stored.
      await tx
        .insertInto('receipt')
        .columns(['device_id', 'device_seq', 'bucket_id', 'server_seq', 'digest'])
        .expression(
          tx
            .selectFrom('message')
            .select(['device_id', 'device_seq', 'bucket_id', 'server_seq', 'digest'])
            .where('bucket_id', '=', bucket)
            .where('subject', '=', subject)
            .where('op', '<>', 'shred'),
        )
        .execute();
      await tx
        .deleteFrom('message')
        .where('bucket_id', '=', bucket)
        .where('subject', '=', subject)
        .where('op', '<>', 'shred')
        .execute();
    }

    const settledNow = [
      ...newMessages.map((m) => m.device_seq),
      ...discarded.map((r) => r.device_seq),
    ];
    const watermark =
      settledNow.length > 0
        ? await advanceWatermark(tx, caller.id, locked.contiguous, new Set(settledNow))
        : locked.contiguous;
    const highest = Math.max(locked.highest, ...settledNow);
    if (watermark !== locked.contiguous || highest !== locked.highest)
      await tx
        .updateTable('device')
        .set({ contiguous_seq: watermark, highest_seq: highest })
        .where('id', '=', caller.id)
        .execute();

    return {
      result: { highestContiguousSeq: watermark, accepted, rejected },
      lastServerSeq: counter !== locked.counter ? counter : null,
      stored: newMessages.length,
    };
  });
}
