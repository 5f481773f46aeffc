import { afterEach, describe, expect, it } from 'vitest';
import { encodeHlc } from '../../../shared/hlc';
import { receiptDigest } from '../../../shared/sync/crypto';
import type {
  MessageHeader,
  MessageOp,
  PushBatch,
  RelayErrorBody,
} from '../../../shared/sync/protocol';
import type { SignedInDevice } from '../../../server/auth';
import { relayCrypto } from '../../../server/crypto';
import type { RelayStore } from '../../../server/db/store';
import { RelayError } from '../../../server/errors';
import {
  PushQueue,
  verifyPush,
  type PushOutcome,
  type VerifiedPush,
} from '../../../server/services/push';
import {
  DIALECTS,
  loadSodium,
  newId,
  startTestRelay,
  TestClock,
  TestDevice,
  type TestRelay,
} from './support';

const PATIENT = 'patient-0192f3a1';
const TEN_MINUTES = 10 * 60 * 1000;

/** Counts the transactions a store is asked for. */
function countingTransactions(store: RelayStore) {
  let count = 0;
  const db = new Proxy(store.db, {
    get(target, property) {
      if (property === 'transaction') count += 1;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return { store: { ...store, db }, count: () => count };
}

function signedIn(device: TestDevice): SignedInDevice {
  return {
    id: device.id,
    clinicId: device.clinic,
    organisationId: device.organisation,
    signingKey: device.signing.publicKey,
    tokenExpiresAt: Number.MAX_SAFE_INTEGER,
  };
}

/** What the relay holds for a bucket, comparable between two relays with the same devices. */
async function holdings(store: RelayStore, bucket: string) {
  const db = store.db;
  return {
    messages: await db
      .selectFrom('message')
      .select(['server_seq', 'device_id', 'device_seq', 'digest', 'op', 'subject'])
      .where('bucket_id', '=', bucket)
      .orderBy('server_seq')
      .execute(),
    receipts: await db
      .selectFrom('receipt')
      .select(['device_id', 'device_seq', 'server_seq', 'digest'])
      .orderBy('device_id')
      .orderBy('device_seq')
      .execute(),
    devices: await db
      .selectFrom('device')
      .select(['id', 'status', 'contiguous_seq', 'highest_seq'])
      .orderBy('id')
      .execute(),
    counter: (
      await db.selectFrom('bucket').select('counter').where('id', '=', bucket).executeTakeFirst()
    )?.counter,
  };
}

async function enrol(t: TestRelay, device: TestDevice): Promise<void> {
  await t.testStore.store.db
    .insertInto('device')
    .values({
      id: device.id,
      clinic_id: device.clinic,
      name: 'Chair',
      signing_key: device.publicKeys.signingKey,
      box_key: device.publicKeys.boxKey,
      status: 'active',
      created_at: t.clock.now(),
      last_seen: null,
      revoked_at: null,
    })
    .execute();
  await device.signIn(t.caller);
}

async function revoke(t: TestRelay, device: TestDevice): Promise<void> {
  await t.testStore.store.db
    .updateTable('device')
    .set({ status: 'revoked', revoked_at: t.clock.now() })
    .where('id', '=', device.id)
    .execute();
}

/** An answer as the client sees it: the push result, or the refusal's code. */
type Answer = { ok: true; result: unknown } | { ok: false; code: string };

describe.each(DIALECTS)('relay group commit on %s', (dialect) => {
  const relays: TestRelay[] = [];
  afterEach(async () => {
    for (const t of relays.splice(0)) await t.close();
  });

  async function relayWith(devices: TestDevice[]): Promise<TestRelay> {
    const t = await startTestRelay(dialect);
    relays.push(t);
    const [first, ...rest] = devices;
    await t.bootstrap({ as: first! });
    for (const d of rest) await enrol(t, d);
    return t;
  }

  it('answers and stores batches sharing one transaction exactly as one after another', async () => {
    const sodium = await loadSodium();
    const clock = new TestClock();
    const [clinic, organisation] = [newId('clinic'), newId('org')];
    const [a, b, c] = ['a', 'b', 'c'].map(
      (name) => new TestDevice(sodium, newId(`dev-${name}`), clinic, organisation, clock.now),
    ) as [TestDevice, TestDevice, TestDevice];
    const together = await relayWith([a, b, c]);
    const oneByOne = await relayWith([a, b, c]);
    const key = together.clinicKey;
    const bucket = a.clinicBucket;
    const m = (d: TestDevice, seq: number, overrides: Partial<MessageHeader> = {}) =>
      d.message(key, { seq, by: d.id }, { deviceSeq: seq, ...overrides });

    const a1 = a.sign([m(a, 1), m(a, 2, { subject: PATIENT }), m(a, 3)]);
    const batches: Array<[TestDevice, PushBatch]> = [
      [a, a1],
      [b, b.sign([m(b, 1, { subject: PATIENT }), m(b, 2)])],
      // The same batch again, in the same transaction as the first time.
      [a, a1],
      // 4 is missing: the watermark stays at 3.
      [a, a.sign([m(a, 5), m(a, 6)])],
      [b, b.sign([m(b, 3, { op: 'shred', subject: PATIENT })])],
      // Fills the gap with a change to the patient just shredded: acknowledged, not kept.
      [a, a.sign([m(a, 4, { subject: PATIENT })])],
      [
        a,
        a.sign([
          m(a, 2, { rowId: 'another-row' }),
          m(a, 7, {
            hlc: encodeHlc({ millis: clock.now() + TEN_MINUTES, counter: 0, node: a.id }),
          }),
          m(a, 8, { bucket: a.organisationBucket }),
          m(a, 9),
        ]),
      ],
      [c, c.sign([m(c, 1)])],
    ];

    const answers = { together: [] as Answer[], oneByOne: [] as Answer[] };
    for (const [device, batch] of batches) {
      if (device === c) await revoke(oneByOne, c);
      const answer = await device.push(oneByOne.caller, bucket, batch);
      answers.oneByOne.push(
        answer.status === 200
          ? { ok: true, result: answer.body }
          : { ok: false, code: (answer.body as unknown as RelayErrorBody).error.code },
      );
    }

    // Verified first, as the route does; C is revoked after signing in, before its batch is stored.
    const { store, count } = countingTransactions(together.testStore.store);
    const queue = new PushQueue(store);
    const ctx = together.relay.context;
    const verified = batches.map(([d, batch]) => verifyPush(ctx, signedIn(d), bucket, batch));
    await revoke(together, c);
    const settled = await Promise.allSettled(verified.map((push) => queue.accept(push)));
    expect(count()).toBe(1);
    for (const s of settled)
      answers.together.push(
        s.status === 'fulfilled'
          ? { ok: true, result: s.value.result }
          : { ok: false, code: (s.reason as RelayError).code },
      );

    expect(answers.together).toEqual(answers.oneByOne);
    // The scenario reaches every rule, so the comparison means something.
    const codes = answers.oneByOne.flatMap((x) =>
      x.ok
        ? (x.result as { rejected: Array<{ code: string }> }).rejected.map((r) => r.code)
        : [x.code],
    );
    expect(new Set(codes)).toEqual(
      new Set(['SEQ_REUSED', 'CLOCK_SKEW', 'WRONG_BUCKET', 'DEVICE_REVOKED']),
    );
    expect(answers.oneByOne[5]).toEqual({
      ok: true,
      result: { highestContiguousSeq: 6, accepted: [4], rejected: [] },
    });

    const held = await holdings(together.testStore.store, bucket);
    expect(held).toEqual(await holdings(oneByOne.testStore.store, bucket));
    expect(held.messages.filter((r) => r.subject === PATIENT).map((r) => r.op)).toEqual(['shred']);
    expect(held.receipts).toHaveLength(3);
    expect(held.counter).toBe(held.messages.at(-1)!.server_seq);
  });

  it('lets a batch that breaks the transaction fail alone: the others are stored', async () => {
    const t = await startTestRelay(dialect);
    relays.push(t);
    const a = await t.bootstrap();
    const b = await t.addDevice(a);
    const good = (d: TestDevice) =>
      verifyPush(
        t.relay.context,
        signedIn(d),
        a.clinicBucket,
        d.sign([d.message(t.clinicKey, {}, { deviceSeq: 1 })]),
      );
    // Past the route's checks, a value the store's own constraint refuses.
    const header = { ...b.message(t.clinicKey, {}, { deviceSeq: 2 }).header };
    const message = {
      header: { ...header, op: 'rename' as MessageOp },
      payload: new Uint8Array(48),
    };
    const broken: VerifiedPush = {
      device: b.id,
      bucket: a.clinicBucket,
      messages: [message],
      digests: [receiptDigest(relayCrypto, message)],
      now: t.clock.now(),
    };
    const { store, count } = countingTransactions(t.testStore.store);
    const queue = new PushQueue(store);
    const [first, bad, last] = await Promise.allSettled([
      queue.accept(good(a)),
      queue.accept(broken),
      queue.accept(good(b)),
    ]);
    // The shared transaction, then each batch alone.
    expect(count()).toBe(4);
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason).not.toBeInstanceOf(RelayError);
    const stored = [first, last].map((s) => (s as PromiseFulfilledResult<PushOutcome>).value);
    expect(stored.map((o) => o.result)).toEqual([
      { highestContiguousSeq: 1, accepted: [1], rejected: [] },
      { highestContiguousSeq: 1, accepted: [1], rejected: [] },
    ]);
    expect(stored.map((o) => o.lastServerSeq)).toEqual([1, 2]);
    const held = await holdings(t.testStore.store, a.clinicBucket);
    expect(held.messages.map((r) => [r.server_seq, r.device_id])).toEqual([
      [1, a.id],
      [2, b.id],
    ]);
  });
});
