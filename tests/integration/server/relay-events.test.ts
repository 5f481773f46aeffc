import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PokeEvent } from '../../../shared/sync/protocol';
import { DIALECTS, EventStream, startTestRelay, type TestRelay } from './support';

describe.each(DIALECTS)('relay event stream on %s', (dialect) => {
  let t: TestRelay;
  const streams: EventStream[] = [];
  beforeEach(async () => {
    t = await startTestRelay(dialect, { realClock: true, pingIntervalMs: 200 });
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t?.close();
  });

  function baseUrl(): string {
    const address = t.relay.app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  async function open(path: string, token: string) {
    const stream = await EventStream.open(baseUrl(), path, token);
    streams.push(stream);
    return stream;
  }

  it('pokes the other devices of the bucket after an accepted push', async () => {
    const net = await t.listen();
    const writer = await t.bootstrap();
    const reader = await t.addDevice(writer);
    const events = await open(`/v1/buckets/${reader.clinicBucket}/events`, reader.token);
    expect(events.status).toBe(200);
    expect((await events.next('ready')).data).toEqual({
      bucket: reader.clinicBucket,
      serverSeq: 0,
    });

    const batch = writer.sign([
      writer.message(t.clinicKey, { a: 1 }),
      writer.message(t.clinicKey, { a: 2 }),
    ]);
    expect((await writer.push(net, writer.clinicBucket, batch)).status).toBe(200);
    const poke = await events.next('poke');
    expect(poke.data as PokeEvent).toEqual({ bucket: reader.clinicBucket, serverSeq: 2 });

    // A repeated push stores nothing, so it pokes nobody; the next new change does.
    expect((await writer.push(net, writer.clinicBucket, batch)).status).toBe(200);
    await writer.push(
      net,
      writer.clinicBucket,
      writer.sign([writer.message(t.clinicKey, { a: 3 })]),
    );
    expect((await events.next('poke')).data).toEqual({ bucket: reader.clinicBucket, serverSeq: 3 });
  });

  it('does not poke streams of other buckets', async () => {
    const net = await t.listen();
    const writer = await t.bootstrap();
    const other = await t.bootstrap();
    const events = await open(`/v1/buckets/${other.clinicBucket}/events`, other.token);
    await events.next('ready');
    await writer.push(
      net,
      writer.clinicBucket,
      writer.sign([writer.message(t.clinicKey, { a: 1 })]),
    );
    await expect(events.next('poke', 500)).rejects.toThrow(/no "poke" event/);
  });

  it("refuses streams without a token or for a foreign bucket, and ends a revoked device's stream", async () => {
    await t.listen();
    const admin = await t.bootstrap();
    const stranger = await t.bootstrap();
    const lost = await t.addDevice(admin);
    expect((await open(`/v1/buckets/${admin.clinicBucket}/events`, 'nope')).status).toBe(401);
    expect((await open(`/v1/buckets/${admin.clinicBucket}/events`, stranger.token)).status).toBe(
      403,
    );

    const events = await open(`/v1/buckets/${lost.clinicBucket}/events`, lost.token);
    await events.next('ready');
    const revoked = await t.caller.request('POST', `/v1/devices/${lost.id}/revoke`, {
      token: admin.token,
    });
    expect(revoked.status).toBe(200);
    expect(await events.endsWithin(5_000)).toBe(true);
    expect(t.relay.context.pokes.size).toBe(0);
  });

  it('ends open streams when the relay shuts down', async () => {
    await t.listen();
    const device = await t.bootstrap();
    const events = await open(`/v1/buckets/${device.clinicBucket}/events`, device.token);
    await events.next('ready');
    const closing = t.relay.close();
    expect(await events.endsWithin(5_000)).toBe(true);
    await closing;
    await t.testStore.dispose();
    t = undefined as unknown as TestRelay;
  });
});
