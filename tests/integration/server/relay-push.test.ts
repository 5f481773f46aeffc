import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeHlc } from '../../../shared/hlc';
import { decodeBase64, encodeBase64 } from '../../../shared/sync/base64';
import { decodeColumns, openPayload } from '../../../shared/sync/crypto';
import type { PushBatch, PushResult, RelayErrorBody } from '../../../shared/sync/protocol';
import {
  DIALECTS,
  newId,
  pullAll,
  startTestRelay,
  storedMessages,
  TestDevice,
  type TestRelay,
} from './support';

const errorOf = (body: unknown) => (body as RelayErrorBody).error;

describe.each(DIALECTS)('relay push on %s', (dialect) => {
  let t: TestRelay;
  beforeEach(async () => {
    t = await startTestRelay(dialect);
  });
  afterEach(async () => {
    await t?.close();
  });

  it('stores a batch once and answers a repeated push the same way', async () => {
    const device = await t.bootstrap();
    const batch = device.sign([
      device.message(t.clinicKey, { family_name: 'Ng' }),
      device.message(t.clinicKey, { family_name: 'Okafor' }),
      device.message(t.clinicKey, { family_name: 'Silva' }),
    ]);
    const first = await device.push(t.caller, device.clinicBucket, batch);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ highestContiguousSeq: 3, accepted: [1, 2, 3], rejected: [] });

    const again = await device.push(t.caller, device.clinicBucket, batch);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);

    const rows = await storedMessages(t.testStore.store, device.clinicBucket);
    expect(rows.map((r) => [r.server_seq, r.device_seq])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const page = await device.pull(t.caller, device.clinicBucket);
    expect(page.body.messages).toHaveLength(3);
    const second = page.body.messages[1]!;
    expect(second.header).toEqual(batch.messages[1]!.header);
    expect(
      decodeColumns(openPayload(device.crypto, second.header, second.payload, t.clinicKey)),
    ).toEqual({ family_name: 'Okafor' });
  });

  it('stores nothing twice when an old batch is replayed after newer ones', async () => {
    const device = await t.bootstrap();
    const old = device.sign([
      device.message(t.clinicKey, { n: 1 }),
      device.message(t.clinicKey, { n: 2 }),
    ]);
    const oldAnswer = await device.push(t.caller, device.clinicBucket, old);
    const newer = device.sign([device.message(t.clinicKey, { n: 3 })]);
    expect(
      (await device.push(t.caller, device.clinicBucket, newer)).body.highestContiguousSeq,
    ).toBe(3);

    const replay = await device.push(t.caller, device.clinicBucket, old);
    expect(replay.status).toBe(200);
    expect(replay.body.accepted).toEqual(oldAnswer.body.accepted);
    expect(replay.body.rejected).toEqual([]);
    expect(replay.body.highestContiguousSeq).toBe(3);
    const rows = await storedMessages(t.testStore.store, device.clinicBucket);
    expect(rows.map((r) => r.device_seq)).toEqual([1, 2, 3]);
    const counter = await t.testStore.store.db
      .selectFrom('bucket')
      .select('counter')
      .where('id', '=', device.clinicBucket)
      .executeTakeFirstOrThrow();
    expect(counter.counter).toBe(3);
  });

  it('refuses a change stamped 10 minutes ahead with a clear message and keeps the rest', async () => {
    const device = await t.bootstrap();
    const ahead = encodeHlc({ millis: t.clock.now() + 10 * 60_000, counter: 0, node: device.id });
    const batch = device.sign([
      device.message(t.clinicKey, { a: 1 }),
      device.message(t.clinicKey, { a: 2 }, { hlc: ahead }),
      device.message(t.clinicKey, { a: 3 }),
    ]);
    const answer = await device.push(t.caller, device.clinicBucket, batch);
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toEqual([1, 3]);
    expect(answer.body.highestContiguousSeq).toBe(1);
    expect(answer.body.rejected).toEqual([
      {
        deviceSeq: 2,
        code: 'CLOCK_SKEW',
        message: expect.stringMatching(
          /10\.0 minutes ahead of the relay's clock.*limit is 5 minutes/,
        ),
      },
    ]);
    expect((await storedMessages(t.testStore.store, device.clinicBucket)).length).toBe(2);

    // Four minutes ahead is within the bound.
    const near = encodeHlc({ millis: t.clock.now() + 4 * 60_000, counter: 0, node: device.id });
    const retry = device.sign([device.message(t.clinicKey, { a: 2 }, { deviceSeq: 2, hlc: near })]);
    const retried = await device.push(t.caller, device.clinicBucket, retry);
    expect(retried.body).toEqual({ highestContiguousSeq: 3, accepted: [2], rejected: [] });
  });

  it('refuses a batch with one payload bit flipped, storing nothing', async () => {
    const device = await t.bootstrap();
    const batch = device.sign([
      device.message(t.clinicKey, { a: 1 }),
      device.message(t.clinicKey, { a: 2 }),
    ]);
    const bytes = decodeBase64(batch.messages[1]!.payload);
    bytes[30]! ^= 0x01;
    const tampered: PushBatch = {
      ...batch,
      messages: [batch.messages[0]!, { ...batch.messages[1]!, payload: encodeBase64(bytes) }],
    };
    const answer = await device.push(t.caller, device.clinicBucket, tampered);
    expect(answer.status).toBe(400);
    expect(errorOf(answer.body).code).toBe('BAD_SIGNATURE');
    expect(await storedMessages(t.testStore.store, device.clinicBucket)).toEqual([]);
  });

  it('refuses a batch whose headers were swapped between messages', async () => {
    const device = await t.bootstrap();
    const batch = device.sign([
      device.message(t.clinicKey, { a: 1 }, { rowId: 'row-a' }),
      device.message(t.clinicKey, { a: 2 }, { rowId: 'row-b' }),
    ]);
    const [m1, m2] = batch.messages as [PushBatch['messages'][0], PushBatch['messages'][0]];
    const swapped: PushBatch = {
      ...batch,
      messages: [
        { header: m2.header, payload: m1.payload },
        { header: m1.header, payload: m2.payload },
      ],
    };
    const answer = await device.push(t.caller, device.clinicBucket, swapped);
    expect(answer.status).toBe(400);
    expect(errorOf(answer.body).code).toBe('BAD_SIGNATURE');
    // Re-ordering whole messages changes the signed bytes too.
    const reordered = await device.push(t.caller, device.clinicBucket, {
      ...batch,
      messages: [m2, m1],
    });
    expect(errorOf(reordered.body).code).toBe('BAD_SIGNATURE');
    expect(await storedMessages(t.testStore.store, device.clinicBucket)).toEqual([]);
    // And a recipient could not have opened a re-stamped payload anyway.
    expect(() => openPayload(device.crypto, m2.header, m1.payload, t.clinicKey)).toThrow(
      /could not be opened/,
    );
  });

  it("refuses a batch signed by another device's key", async () => {
    const device = await t.bootstrap();
    const other = await t.addDevice(device);
    const forged = other.sign([device.message(t.clinicKey, { a: 1 })]);
    const answer = await device.push(t.caller, device.clinicBucket, {
      ...forged,
      device: device.id,
    });
    expect(answer.status).toBe(400);
    expect(errorOf(answer.body).code).toBe('BAD_SIGNATURE');
    // A batch of another device sent with this device's token.
    const foreign = await device.push(t.caller, device.clinicBucket, forged);
    expect(foreign.status).toBe(403);
    expect(errorOf(foreign.body).code).toBe('WRONG_DEVICE');
  });

  it('rejects single messages for the wrong bucket, another device or a reused sequence', async () => {
    const device = await t.bootstrap();
    await device.push(
      t.caller,
      device.clinicBucket,
      device.sign([device.message(t.clinicKey, { a: 1 })]),
    );
    const batch = device.sign([
      device.message(t.clinicKey, { a: 'reused' }, { deviceSeq: 1 }),
      device.message(t.clinicKey, { a: 2 }, { bucket: device.organisationBucket }),
      device.message(t.clinicKey, { a: 3 }, { device: 'someone-else' }),
      device.message(t.clinicKey, { a: 4 }),
    ]);
    const answer = await device.push(t.caller, device.clinicBucket, batch);
    expect(answer.status).toBe(200);
    const result = answer.body as PushResult;
    expect(result.rejected.map((r) => [r.deviceSeq, r.code])).toEqual([
      [1, 'SEQ_REUSED'],
      [2, 'WRONG_BUCKET'],
      [3, 'WRONG_DEVICE'],
    ]);
    expect(result.accepted).toEqual([4]);
    expect(result.highestContiguousSeq).toBe(1);
    const rows = await storedMessages(t.testStore.store, device.clinicBucket);
    expect(rows.map((r) => r.device_seq)).toEqual([1, 4]);
  });

  it('moves highestContiguousSeq only over settled numbers, across buckets', async () => {
    const device = await t.bootstrap();
    const m1 = device.message(t.clinicKey, { a: 1 });
    const m2 = device.message(t.clinicKey, { a: 2 }, { bucket: device.organisationBucket });
    const m3 = device.message(t.clinicKey, { a: 3 });
    const first = await device.push(t.caller, device.clinicBucket, device.sign([m1, m3]));
    expect(first.body).toEqual({ highestContiguousSeq: 1, accepted: [1, 3], rejected: [] });
    const second = await device.push(t.caller, device.organisationBucket, device.sign([m2]));
    expect(second.body).toEqual({ highestContiguousSeq: 3, accepted: [2], rejected: [] });
  });

  it("refuses another clinic's buckets", async () => {
    const alpha = await t.bootstrap();
    const beta = await t.bootstrap();
    const message = alpha.message(t.clinicKey, { a: 1 }, { bucket: beta.clinicBucket });
    const push = await alpha.push(t.caller, beta.clinicBucket, alpha.sign([message]));
    expect(push.status).toBe(403);
    expect(errorOf(push.body).code).toBe('FORBIDDEN_BUCKET');
    for (const bucket of [beta.clinicBucket, beta.organisationBucket, 'clinic.unknown']) {
      const pull = await alpha.pull(t.caller, bucket);
      expect(pull.status).toBe(403);
      expect(errorOf(pull.body).code).toBe('FORBIDDEN_BUCKET');
    }
    expect(await storedMessages(t.testStore.store, beta.clinicBucket)).toEqual([]);
  });

  it("shares the organisation's bucket between its clinics", async () => {
    const alpha = await t.bootstrap();
    const sibling = new TestDevice(
      t.sodium,
      newId('dev'),
      newId('clinic'),
      alpha.organisation,
      t.clock.now,
    );
    await t.bootstrap({ as: sibling, invitedBy: alpha });
    const orgBucket = alpha.organisationBucket;
    const fee = alpha.message(t.clinicKey, { fee: 40 }, { bucket: orgBucket, table: 'fee' });
    expect((await alpha.push(t.caller, orgBucket, alpha.sign([fee]))).status).toBe(200);
    const page = await sibling.pull(t.caller, orgBucket);
    expect(page.body.messages.map((m) => m.header.table)).toEqual(['fee']);
    // Each clinic's own bucket stays its own.
    expect((await sibling.pull(t.caller, alpha.clinicBucket)).status).toBe(403);
  });

  it('shreds a subject: deletes its messages in the bucket, keeps the shred, discards late changes', async () => {
    const device = await t.bootstrap();
    const other = await t.addDevice(device);
    const patient = 'patient-7';
    const unrelated = 'patient-8';
    const original = device.sign([
      device.message(t.clinicKey, { given: 'Ana' }, { subject: patient, rowId: patient }),
      device.message(t.clinicKey, { given: 'Bo' }, { subject: unrelated, rowId: unrelated }),
      device.message(t.clinicKey, { e164: '+441' }, { subject: patient, table: 'patient_phone' }),
    ]);
    const firstAnswer = await device.push(t.caller, device.clinicBucket, original);
    const inOrg = device.message(
      t.clinicKey,
      { note: 'org' },
      { subject: patient, bucket: device.organisationBucket },
    );
    await device.push(t.caller, device.organisationBucket, device.sign([inOrg]));
    const lateEdit = other.message(
      t.clinicKey,
      { given: 'Ana B' },
      { subject: patient, rowId: patient },
    );

    const shred = device.message(
      t.clinicKey,
      {},
      { op: 'shred', subject: patient, rowId: patient },
    );
    const shredAnswer = await device.push(t.caller, device.clinicBucket, device.sign([shred]));
    expect(shredAnswer.body.accepted).toEqual([shred.header.deviceSeq]);

    const rows = await storedMessages(t.testStore.store, device.clinicBucket);
    expect(rows.map((r) => [r.subject, r.op])).toEqual([
      [unrelated, 'upsert'],
      [patient, 'shred'],
    ]);
    expect((await storedMessages(t.testStore.store, device.organisationBucket)).length).toBe(1);

    // A workstation that edited the patient while offline: acknowledged, not stored.
    const late = await other.push(t.caller, other.clinicBucket, other.sign([lateEdit]));
    expect(late.body).toEqual({ highestContiguousSeq: 1, accepted: [1], rejected: [] });
    // The receipts remember what each shredded number carried.
    const reused = await device.push(
      t.caller,
      device.clinicBucket,
      device.sign([
        device.message(t.clinicKey, { given: 'Other' }, { deviceSeq: 1, subject: patient }),
      ]),
    );
    expect(reused.body.rejected.map((r) => r.code)).toEqual(['SEQ_REUSED']);
    // Replaying the original batch brings nothing back: the shredded changes left receipts.
    const replay = await device.push(t.caller, device.clinicBucket, original);
    expect(replay.body.accepted).toEqual(firstAnswer.body.accepted);
    expect(replay.body.rejected).toEqual([]);
    // Nor does a new change to the patient from the same workstation.
    const again = await device.push(
      t.caller,
      device.clinicBucket,
      device.sign([
        device.message(t.clinicKey, { given: 'Ana' }, { deviceSeq: 99, subject: patient }),
      ]),
    );
    expect(again.body.accepted).toEqual([99]);
    const after = await storedMessages(t.testStore.store, device.clinicBucket);
    expect(after.map((r) => r.subject)).toEqual([unrelated, patient]);
    const pulled = (await pullAll(t.caller, other, other.clinicBucket)).flatMap((p) => p.messages);
    expect(pulled.map((m) => [m.header.subject, m.header.op])).toEqual([
      [unrelated, 'upsert'],
      [patient, 'shred'],
    ]);
  });

  it('deletes changes that precede a shred in the same batch', async () => {
    const device = await t.bootstrap();
    const answer = await device.push(
      t.caller,
      device.clinicBucket,
      device.sign([
        device.message(t.clinicKey, { given: 'Cy' }, { subject: 'p-1' }),
        device.message(t.clinicKey, {}, { op: 'shred', subject: 'p-1' }),
        device.message(t.clinicKey, { given: 'Cy again' }, { subject: 'p-1' }),
      ]),
    );
    expect(answer.body).toEqual({ highestContiguousSeq: 3, accepted: [1, 2, 3], rejected: [] });
    const rows = await storedMessages(t.testStore.store, device.clinicBucket);
    expect(rows.map((r) => [r.device_seq, r.op])).toEqual([[2, 'shred']]);
  });
});
