import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayRefusal, RelayTransport } from '../../electron/core/sync/transport';
import type { FetchLike } from '../../electron/core/sync/transport';
import { DEFLATE_DICTIONARY_ENCODING, PUSH_DICTIONARY } from '../../shared/sync/compression';
import type { PushBatch, RelayErrorBody } from '../../shared/sync/protocol';
import { patientInput } from '../support/core';
import {
  createClinicOn,
  join,
  startLoopbackRelay,
  syncAll,
  workstation,
  type LoopbackRelay,
  type Workstation,
} from '../support/sync';

/**
 * Push bodies travel compressed (x-enamel-deflate-1: raw deflate primed with a dictionary), the
 * relay inflates them within the route's body limit, and a relay that cannot read them is sent
 * plain JSON instead.
 */
let relay: LoopbackRelay | null = null;
const stations: Workstation[] = [];

afterEach(async () => {
  for (const s of stations.splice(0)) await s.close();
  await relay?.close();
  relay = null;
});

const DICTIONARY = Buffer.from(PUSH_DICTIONARY, 'utf8');

/** A push to the relay as raw bytes, without a token: body checks come before sign-in checks. */
async function rawPush(
  body: Uint8Array,
  encoding: string,
): Promise<{ status: number; code: string }> {
  const response = await fetch(`${relay!.url}/v1/buckets/clinic.nowhere/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': encoding },
    body: new Uint8Array(body),
  });
  return { status: response.status, code: ((await response.json()) as RelayErrorBody).error.code };
}

describe('compressed push bodies', () => {
  it('carry edits between workstations, compressed on the way', async () => {
    relay = await startLoopbackRelay();
    const sent: Array<{ encoding: string | null; bytes: number; json: number }> = [];
    const watching: FetchLike = async (url, init) => {
      if (url.endsWith('/push')) {
        const encoding = new Headers(init.headers).get('content-encoding');
        const body = init.body as Uint8Array;
        const json =
          encoding === DEFLATE_DICTIONARY_ENCODING
            ? zlib.inflateRawSync(body, { dictionary: DICTIONARY }).length
            : Buffer.byteLength(init.body as string);
        sent.push({ encoding, bytes: body.length, json });
      }
      return fetch(url, init);
    };
    const a = await workstation({ sync: { background: false, fetch: watching } });
    const b = await workstation();
    stations.push(a, b);
    await createClinicOn(a.core, relay.url);
    await join(a.core, b.core, relay.url);
    const p = await a.core.call('patients.create', { patient: patientInput() });
    await a.core.call('patients.update', { id: p.id, patch: { notes: 'Prefers mornings' } });
    await syncAll([a.core, b.core]);
    expect((await b.core.call('patients.get', { id: p.id })).notes).toBe('Prefers mornings');
    expect(sent.length).toBeGreaterThan(0);
    for (const push of sent) {
      expect(push.encoding).toBe(DEFLATE_DICTIONARY_ENCODING);
      expect(push.bytes).toBeLessThan(push.json);
    }
  });

  it('are also read as gzip', async () => {
    relay = await startLoopbackRelay();
    // Inflated and parsed: what is refused then is the missing token, not the body.
    const answer = await rawPush(zlib.gzipSync('{"device":"d-1","messages":[]}'), 'gzip');
    expect(answer).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('refuse an encoding the relay does not know, and a damaged body', async () => {
    relay = await startLoopbackRelay();
    expect(await rawPush(zlib.brotliCompressSync('{}'), 'br')).toEqual({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    const damaged = zlib.deflateRawSync('{"device":"d-1","messages":[]}', {
      dictionary: DICTIONARY,
    });
    damaged[2]! ^= 0xff;
    const answer = await rawPush(
      damaged.subarray(0, damaged.length - 3),
      DEFLATE_DICTIONARY_ENCODING,
    );
    expect(answer.status).toBe(400);
    expect(answer.code).toBe('VALIDATION');
  });

  it('stop inflating at the body limit: a small body that inflates to gigabytes is refused', async () => {
    relay = await startLoopbackRelay();
    // 64 MiB of spaces compress to ~64 kB; the push limit is 4 MiB once inflated.
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(256 * 1024);
    const started = process.memoryUsage().rss;
    expect(await rawPush(bomb, 'gzip')).toEqual({ status: 413, code: 'BODY_TOO_LARGE' });
    // Nothing near the inflated size was held (generous: the heap moves for other reasons).
    expect(process.memoryUsage().rss - started).toBeLessThan(48 * 1024 * 1024);
  });

  it('are sent plain to a relay that cannot read them, from then on', async () => {
    const calls: Array<string | null> = [];
    // A relay from before compressed bodies: it parses whatever arrives as JSON.
    const older: FetchLike = async (_url, init) => {
      const encoding = new Headers(init.headers).get('content-encoding');
      calls.push(encoding);
      if (encoding !== null)
        return Response.json(
          { error: { code: 'VALIDATION', message: 'The request body is not valid JSON' } },
          { status: 400 },
        );
      return Response.json({ highestContiguousSeq: 1, accepted: [1], rejected: [] });
    };
    const transport = new RelayTransport({
      baseUrl: 'http://127.0.0.1:9',
      fetch: older,
      now: Date.now,
    });
    const batch: PushBatch = { device: 'd-1', messages: [], signature: 'x' };
    for (let i = 0; i < 2; i++)
      expect(await transport.push('t', 'clinic.c-1', batch)).toMatchObject({ accepted: [1] });
    expect(calls).toEqual([DEFLATE_DICTIONARY_ENCODING, null, null]);
  });

  it('stay compressed when the relay refuses the batch itself, whatever its encoding', async () => {
    const calls: Array<string | null> = [];
    const refusing: FetchLike = async (_url, init) => {
      calls.push(new Headers(init.headers).get('content-encoding'));
      return Response.json(
        { error: { code: 'BAD_SIGNATURE', message: 'The batch signature does not verify' } },
        { status: 400 },
      );
    };
    const transport = new RelayTransport({
      baseUrl: 'http://127.0.0.1:9',
      fetch: refusing,
      now: Date.now,
    });
    const batch: PushBatch = { device: 'd-1', messages: [], signature: 'x' };
    for (let i = 0; i < 2; i++)
      await expect(transport.push('t', 'clinic.c-1', batch)).rejects.toBeInstanceOf(RelayRefusal);
    expect(calls).toEqual([DEFLATE_DICTIONARY_ENCODING, null, DEFLATE_DICTIONARY_ENCODING, null]);
  });
});
