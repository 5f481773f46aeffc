import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PushBatch } from '../../../shared/sync/protocol';
import {
  DIALECTS,
  startTestRelay,
  storedMessages,
  type TestDevice,
  type TestRelay,
} from './support';

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(DIALECTS)('relay under concurrent pushes on %s', (dialect) => {
  let t: TestRelay;
  beforeEach(async () => {
    t = await startTestRelay(dialect);
  });
  afterEach(async () => {
    await t?.close();
  });

  async function clinicWithDevices(n: number): Promise<TestDevice[]> {
    const first = await t.bootstrap();
    const rest: TestDevice[] = [];
    for (let i = 1; i < n; i++) rest.push(await t.addDevice(first));
    return [first, ...rest];
  }

  it('hands out contiguous server_seq while 4 devices push at once over loopback', async () => {
    const net = await t.listen();
    const devices = await clinicWithDevices(4);
    const BATCHES = 6;
    const PER_BATCH = 40;
    const batches = devices.map((d) =>
      Array.from({ length: BATCHES }, () =>
        d.sign(
          Array.from({ length: PER_BATCH }, (_, i) => d.message(t.clinicKey, { i, by: d.id })),
        ),
      ),
    );
    await Promise.all(
      devices.map(async (d, i) => {
        for (const batch of batches[i]!) {
          const answer = await d.push(net, d.clinicBucket, batch);
          expect(answer.status).toBe(200);
          expect(answer.body.rejected).toEqual([]);
        }
      }),
    );
    const total = devices.length * BATCHES * PER_BATCH;
    const rows = await storedMessages(t.testStore.store, devices[0]!.clinicBucket);
    expect(rows.map((r) => r.server_seq)).toEqual(range(1, total));
    for (const d of devices) {
      // Each device's changes are in the log once each, in the order it pushed them.
      const own = rows.filter((r) => r.device_id === d.id).map((r) => r.device_seq);
      expect(own).toEqual(range(1, BATCHES * PER_BATCH));
    }
    // Every batch of one device lands as one unbroken run: no interleaving inside a transaction.
    for (let start = 0; start < total; start += PER_BATCH) {
      const run = rows.slice(start, start + PER_BATCH);
      expect(new Set(run.map((r) => r.device_id)).size).toBe(1);
    }
  });

  it('stores a batch once when the same device sends it twice at the same moment', async () => {
    const net = await t.listen();
    const [a, b] = await clinicWithDevices(2);
    const batchA: PushBatch = a!.sign(range(1, 30).map((i) => a!.message(t.clinicKey, { i })));
    const batchB: PushBatch = b!.sign(range(1, 30).map((i) => b!.message(t.clinicKey, { i })));
    const answers = await Promise.all([
      a!.push(net, a!.clinicBucket, batchA),
      a!.push(net, a!.clinicBucket, batchA),
      b!.push(net, b!.clinicBucket, batchB),
      a!.push(net, a!.clinicBucket, batchA),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        highestContiguousSeq: 30,
        accepted: range(1, 30),
        rejected: [],
      });
    }
    const rows = await storedMessages(t.testStore.store, a!.clinicBucket);
    expect(rows.map((r) => r.server_seq)).toEqual(range(1, 60));
    expect(rows.filter((r) => r.device_id === a!.id)).toHaveLength(30);
  });
});
