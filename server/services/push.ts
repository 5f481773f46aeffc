import { decodeHlc } from '../../shared/hlc';
import { Base64Error, decodeBase64 } from '../../shared/sync/base64';
import { canonicalBatch, type DecodedMessage } from '../../shared/sync/canonical';
import {
  MAX_CLOCK_AHEAD_MS,
  type MessageRejection,
  type PushBatch,
  type PushResult,
} from '../../shared/sync/protocol';
import type { SignedInDevice } from '../auth';
import { revoked } from '../auth';
import type { RelayContext } from '../context';
import { receiptDigestsOfBatch, relayCrypto } from '../crypto';
import { messageLog, type MessageLog } from '../db/message-log';
import type { RelayStore } from '../db/store';
import type { NewMessage } from '../db/tables/message';
import type { NewReceipt } from '../db/tables/receipt';
import { RelayError } from '../errors';

export interface PushOutcome {
  result: PushResult;
  /** Last server_seq stored by this push, or null when nothing new was stored. */
  lastServerSeq: number | null;
  stored: number;
}

/** A batch whose signature checked out, waiting for the transaction that accepts it. */
export interface VerifiedPush {
  device: string;
  bucket: string;
  messages: DecodedMessage[];
  /** `receiptDigest` of each message, in batch order. */
  digests: string[];
  /** The relay's clock when the batch arrived: its received_at, and the limit for clock skew. */
  now: number;
}

/** Settled numbers the watermark query reads at a time. */
const WATERMARK_PAGE = 1000;

function minutesAhead(ms: number): string {
  return (ms / 60_000).toFixed(1);
}

const notBase64 = (what: string) =>
  new RelayError(400, 'VALIDATION', `Invalid batch: ${what} is not canonical base64`);

/**
 * Checks that the batch is the caller's and that its signature is the caller's key's over exactly
 * these messages; decodes the payloads and computes each message's receipt digest. Nothing here
 * touches the store, so it runs outside any transaction.
 */
export function verifyPush(
  ctx: RelayContext,
  caller: SignedInDevice,
  bucket: string,
  batch: PushBatch,
): VerifiedPush {
  if (batch.device !== caller.id)
    throw new RelayError(
      403,
      'WRONG_DEVICE',
      'The batch names another workstation than the one signed in',
    );
  const messages = batch.messages.map((m) => {
    // Node's decoder is lenient (it skips stray characters and bits); text that is not exactly
    // the encoding of what it decodes to is refused, so a payload has one spelling only.
    const payload = Buffer.from(m.payload, 'base64');
    if (payload.toString('base64') !== m.payload) throw notBase64('a payload');
    return { header: m.header, payload };
  });
  let signature: Uint8Array;
  try {
    signature = decodeBase64(batch.signature);
  } catch (error) {
    if (error instanceof Base64Error) throw notBase64('the signature');
    throw error;
  }
  const signed = canonicalBatch(batch.device, messages);
  if (!relayCrypto.verifyDetached(signature, signed, caller.signingKey))
    throw new RelayError(
      400,
      'BAD_SIGNATURE',
      "The batch signature does not match this workstation's key; nothing was stored",
    );
  return {
    device: caller.id,
    bucket,
    messages,
    digests: receiptDigestsOfBatch(signed, messages.length),
    now: ctx.now(),
  };
}

/** A pushing device's state through one accepting transaction. */
interface DeviceState {
  contiguous: number;
  highest: number;
  /** highest_seq as locked: no number above it was settled before this transaction. */
  highestBefore: number;
  contiguousBefore: number;
  /** Digests of settled numbers: those of this transaction's batches looked up, and new ones. */
  digests: Map<number, string>;
  /** Numbers this transaction settles (stored or discarded). */
  settledHere: Set<number>;
}

/**
 * Advances a device's watermark over every settled number that follows it: first over those this
 * transaction settles (the usual case, no query), then over any that arrived earlier out of order,
 * which can only lie at or below the highest number settled before.
 */
async function advanceWatermark(log: MessageLog, device: string, state: DeviceState) {
  let watermark = state.contiguous;
  for (;;) {
    while (state.settledHere.has(watermark + 1)) watermark += 1;
    if (watermark >= state.highestBefore) return watermark;
    let advanced = false;
    for (const seq of await log.settledAfter(device, watermark, WATERMARK_PAGE)) {
      if (seq !== watermark + 1) break;
      watermark += 1;
      advanced = true;
    }
    if (!advanced) return watermark;
  }
}

/**
 * Accepts verified batches for one bucket inside one transaction, in order, each exactly as if it
 * had its own transaction after the ones before it: the bucket's row is locked first and its
 * counter numbers the stored messages; then the devices' rows, in id order. Messages are checked
 * one by one: one that breaks a rule is listed in `rejected` and the others go on. A message the
 * relay already holds (same device, sequence and digest) is accepted again without being stored
 * twice, so a repeated push gets the same answer. A shred deletes every stored message of its
 * subject in the bucket except shreds; later changes to a shredded subject are acknowledged and
 * discarded, so a workstation that was offline cannot bring the erased data back.
 *
 * Returns each batch's outcome, or the refusal of the whole batch (device revoked, no bucket).
 */
export async function acceptPushes(
  log: MessageLog,
  bucket: string,
  pushes: readonly VerifiedPush[],
): Promise<Array<PushOutcome | RelayError>> {
  const ids = [...new Set(pushes.map((p) => p.device))].sort();
  const subjects = new Set<string>();
  for (const p of pushes)
    for (const m of p.messages) if (m.header.subject !== null) subjects.add(m.header.subject);
  const locked = await log.lock(bucket, ids, [...subjects]);
  if (!locked)
    return pushes.map(() => new RelayError(403, 'FORBIDDEN_BUCKET', 'The bucket does not exist'));
  const { shredded } = locked;
  const counterBefore = locked.counter;
  const devices = new Map<string, DeviceState>();
  for (const id of ids) {
    const row = locked.devices.get(id);
    if (!row || row.status !== 'active') continue;
    // Numbers above the highest ever settled cannot be known: usually every one of the batch.
    const maybeKnown = new Set<number>();
    for (const p of pushes)
      if (p.device === id)
        for (const m of p.messages)
          if (m.header.deviceSeq <= row.highest) maybeKnown.add(m.header.deviceSeq);
    devices.set(id, {
      contiguous: row.contiguous,
      highest: row.highest,
      highestBefore: row.highest,
      contiguousBefore: row.contiguous,
      digests: await log.settledDigests(id, [...maybeKnown]),
      settledHere: new Set(),
    });
  }
  const shredsHere = new Set<string>();
  let counter = counterBefore;
  const newMessages: NewMessage[] = [];
  /** Accepted but not kept: changes to a subject that was already shredded. */
  const discarded: NewReceipt[] = [];
  const outcomes: Array<PushOutcome | RelayError> = [];

  for (const push of pushes) {
    const device = devices.get(push.device);
    if (!device) {
      outcomes.push(revoked());
      continue;
    }
    const counterAtStart = counter;
    const accepted: number[] = [];
    const acceptedHere = new Set<number>();
    const rejected: MessageRejection[] = [];
    const settledNow: number[] = [];
    const reject = (deviceSeq: number, code: MessageRejection['code'], message: string) => {
      rejected.push({ deviceSeq, code, message });
    };

    push.messages.forEach((m, i) => {
      const h = m.header;
      const digest = push.digests[i]!;
      if (h.device !== push.device)
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
      const known = device.digests.get(h.deviceSeq);
      if (known !== undefined) {
        if (known !== digest)
          return reject(
            h.deviceSeq,
            'SEQ_REUSED',
            'This device sequence number was already used for a different change',
          );
        if (!acceptedHere.has(h.deviceSeq)) accepted.push(h.deviceSeq);
        acceptedHere.add(h.deviceSeq);
        return;
      }
      const ahead = decodeHlc(h.hlc).millis - push.now;
      if (ahead > MAX_CLOCK_AHEAD_MS)
        return reject(
          h.deviceSeq,
          'CLOCK_SKEW',
          `The change is stamped ${minutesAhead(ahead)} minutes ahead of the relay's clock (the limit is 5 minutes); correct the workstation's clock and sync again`,
        );
      device.digests.set(h.deviceSeq, digest);
      accepted.push(h.deviceSeq);
      acceptedHere.add(h.deviceSeq);
      settledNow.push(h.deviceSeq);
      if (h.subject !== null && h.op !== 'shred' && shredded.has(h.subject)) {
        discarded.push({
          device_id: push.device,
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
        received_at: push.now,
      });
      if (h.op === 'shred' && h.subject !== null) {
        shredded.add(h.subject);
        shredsHere.add(h.subject);
      }
    });

    if (settledNow.length > 0) {
      for (const seq of settledNow) {
        device.settledHere.add(seq);
        if (seq > device.highest) device.highest = seq;
      }
      device.contiguous = await advanceWatermark(log, push.device, device);
    }
    outcomes.push({
      result: { highestContiguousSeq: device.contiguous, accepted, rejected },
      lastServerSeq: counter !== counterAtStart ? counter : null,
      stored: counter - counterAtStart,
    });
  }

  // Written once for all batches, in server order; shreds last, so they also erase the changes
  // to their subject that batches before them in this transaction stored.
  await log.write({
    bucket,
    counter: counter !== counterBefore ? counter : null,
    messages: newMessages,
    receipts: discarded,
    shreds: [...shredsHere],
    devices: [...devices]
      .filter(([, d]) => d.contiguous !== d.contiguousBefore || d.highest !== d.highestBefore)
      .map(([id, d]) => ({ id, contiguous: d.contiguous, highest: d.highest })),
  });
  return outcomes;
}

interface Waiting {
  push: VerifiedPush;
  resolve(outcome: PushOutcome): void;
  reject(error: unknown): void;
}

/** Most changes one accepting transaction takes; the rest of the queue waits for the next. */
const GROUP_MESSAGES = 4000;

/**
 * Group commit: batches for one bucket that arrive while that bucket's previous transaction runs
 * (or in the same turn of the event loop) are accepted together in the next one, in arrival
 * order. Each answer still waits for its own transaction to commit, so it promises exactly what it
 * promised alone, while the lock, the round trips and the flush to disk are shared. One
 * transaction per bucket at a time: a second would only wait for the first one's lock.
 */
export class PushQueue {
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly draining = new Set<string>();

  constructor(private readonly store: RelayStore) {}

  accept(push: VerifiedPush): Promise<PushOutcome> {
    return new Promise<PushOutcome>((resolve, reject) => {
      let queue = this.waiting.get(push.bucket);
      if (!queue) this.waiting.set(push.bucket, (queue = []));
      queue.push({ push, resolve, reject });
      if (this.draining.has(push.bucket)) return;
      this.draining.add(push.bucket);
      // Batches that finish verifying in this turn of the event loop join the same transaction.
      setImmediate(() => void this.drain(push.bucket));
    });
  }

  private async drain(bucket: string): Promise<void> {
    try {
      for (;;) {
        const queue = this.waiting.get(bucket);
        if (!queue || queue.length === 0) break;
        let messages = queue[0]!.push.messages.length;
        let take = 1;
        while (
          take < queue.length &&
          messages + queue[take]!.push.messages.length <= GROUP_MESSAGES
        )
          messages += queue[take++]!.push.messages.length;
        const group = queue.splice(0, take);
        if (queue.length === 0) this.waiting.delete(bucket);
        await this.commit(bucket, group);
      }
    } finally {
      this.draining.delete(bucket);
    }
  }

  private async commit(bucket: string, group: Waiting[]): Promise<void> {
    let outcomes: Array<PushOutcome | RelayError>;
    try {
      outcomes = await this.store.db.transaction().execute((tx) =>
        acceptPushes(
          messageLog(this.store, tx),
          bucket,
          group.map((w) => w.push),
        ),
      );
    } catch (error) {
      if (group.length === 1) return group[0]!.reject(error);
      // Nothing was stored. Each batch goes again alone, so a failure stays with its own batch.
      for (const w of group) await this.commit(bucket, [w]);
      return;
    }
    outcomes.forEach((outcome, i) => {
      if (outcome instanceof RelayError) group[i]!.reject(outcome);
      else group[i]!.resolve(outcome);
    });
  }
}

/**
 * Accepts a signed batch into one bucket's log (see `acceptPushes`); the answer comes once the
 * transaction that stored it has committed.
 */
export async function acceptBatch(
  ctx: RelayContext,
  caller: SignedInDevice,
  bucket: string,
  batch: PushBatch,
): Promise<PushOutcome> {
  return ctx.pushes.accept(verifyPush(ctx, caller, bucket, batch));
}
