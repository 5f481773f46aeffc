import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase64 } from '../../../shared/sync/base64';
import { RELAY_ERROR_CODES, SYNC_LIMITS, type RelayErrorBody } from '../../../shared/sync/protocol';
import type { RelayStore } from '../../../server/db/store';
import {
  DIALECTS,
  newId,
  startTestRelay,
  TestDevice,
  type HttpAnswer,
  type TestRelay,
} from './support';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Everything the relay holds, to show that refused requests wrote nothing. */
async function snapshot(store: RelayStore) {
  const db = store.db;
  return {
    organisations: await db.selectFrom('organisation').selectAll().orderBy('id').execute(),
    clinics: await db.selectFrom('clinic').selectAll().orderBy('id').execute(),
    buckets: await db.selectFrom('bucket').selectAll().orderBy('id').execute(),
    devices: await db.selectFrom('device').selectAll().orderBy('id').execute(),
    enrolments: await db.selectFrom('enrolment_request').selectAll().orderBy('code').execute(),
    messages: await db
      .selectFrom('message')
      .select(['bucket_id', 'server_seq', 'device_id', 'device_seq', 'hlc', 'payload'])
      .orderBy('bucket_id')
      .orderBy('server_seq')
      .execute(),
    receipts: await db
      .selectFrom('receipt')
      .selectAll()
      .orderBy('device_id')
      .orderBy('device_seq')
      .execute(),
  };
}

function expectRefusal(answer: HttpAnswer, context: string): void {
  expect(answer.status, `${context}: ${answer.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  expect(answer.status, context).toBeLessThan(500);
  const body = answer.body as RelayErrorBody;
  expect(RELAY_ERROR_CODES, context).toContain(body.error?.code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(5);
}

/** Every path to a value inside `value`, e.g. ['messages', 0, 'header', 'hlc']. */
function paths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value);
  const inner = entries.flatMap(([k, v]) => paths(v, [...prefix, k]));
  return prefix.length === 0 ? inner : [prefix, ...inner];
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const anyJson = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
/** A value that cannot stand where `original` stood: another JSON type, or an out-of-range number. */
function wrongFor(original: unknown, path: Array<string | number>): fc.Arbitrary<Json> {
  const nullable = path.at(-1) === 'subject';
  const other = anyJson.filter((v) => {
    const k = kind(v);
    if (k === kind(original)) return false;
    return !(nullable && (k === 'null' || k === 'string'));
  });
  if (typeof original === 'number')
    return fc.oneof(other, fc.constantFrom<Json>(-1, 0, 1.5, 2 ** 60, 1e308));
  return other;
}

type Mutation = {
  path: Array<string | number>;
  action: 'replace' | 'remove' | 'extra';
  value: Json;
};

function applyMutation(body: Json, m: Mutation): Json {
  const copy = structuredClone(body) as Json;
  if (m.action === 'extra') {
    const target =
      m.path.length === 0 ? copy : m.path.reduce<Json>((v, k) => (v as never)[k], copy);
    if (target !== null && typeof target === 'object' && !Array.isArray(target))
      target['unexpected_field'] = m.value;
    return copy;
  }
  const parent = m.path.slice(0, -1).reduce<Json>((v, k) => (v as never)[k], copy) as never;
  const key = m.path.at(-1)!;
  if (m.action === 'remove') {
    if (Array.isArray(parent)) (parent as Json[]).splice(key as number, 1, 'removed');
    else delete (parent as Record<string, Json>)[key];
  } else (parent as Record<string | number, Json>)[key] = m.value;
  return copy;
}

function mutations(body: Json): fc.Arbitrary<Mutation> {
  const all = paths(body);
  const objects = [[], ...all].filter((p) => {
    const v = p.reduce<Json>((acc, k) => (acc as never)[k], body);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  });
  return fc.oneof(
    fc.constantFrom(...all).chain((path) =>
      wrongFor(
        path.reduce<Json>((acc, k) => (acc as never)[k], body),
        path,
      ).map((value) => ({ path, action: 'replace' as const, value })),
    ),
    fc.constantFrom(...all).map((path) => ({ path, action: 'remove' as const, value: null })),
    fc.constantFrom(...objects).map((path) => ({ path, action: 'extra' as const, value: 1 })),
  );
}

describe.each(DIALECTS)('relay under malformed input on %s', (dialect) => {
  let t: TestRelay;
  let admin: TestDevice;
  let before: Awaited<ReturnType<typeof snapshot>>;
  const code = 'FUZZCODE01';

  beforeAll(async () => {
    t = await startTestRelay(dialect);
    admin = await t.bootstrap();
    await admin.push(
      t.caller,
      admin.clinicBucket,
      admin.sign([admin.message(t.clinicKey, { a: 1 })]),
    );
    const fresh = new TestDevice(
      t.sodium,
      newId('dev'),
      admin.clinic,
      admin.organisation,
      t.clock.now,
    );
    const created = await t.caller.request('POST', '/v1/enrol/requests', {
      body: {
        code,
        clinic: admin.clinic,
        device: { id: fresh.id, name: 'Surgery 4', ...fresh.publicKeys },
      },
    });
    expect(created.status).toBe(201);
    before = await snapshot(t.testStore.store);
  });

  afterAll(async () => {
    await t?.close();
  });

  function validBodies(): Array<{ name: string; url: string; auth: boolean; body: Json }> {
    const joiner = new TestDevice(
      t.sodium,
      newId('dev'),
      newId('clinic'),
      admin.organisation,
      t.clock.now,
    );
    const fresh = new TestDevice(
      t.sodium,
      newId('dev'),
      admin.clinic,
      admin.organisation,
      t.clock.now,
    );
    const batch = admin.sign([
      admin.message(t.clinicKey, { b: 2 }, { deviceSeq: 1000, subject: 'patient-1' }),
    ]) as unknown as Json;
    return [
      { name: 'challenge', url: '/v1/auth/challenge', auth: false, body: { device: admin.id } },
      {
        name: 'token',
        url: '/v1/auth/token',
        auth: false,
        body: {
          device: admin.id,
          nonce: encodeBase64(new Uint8Array(32)),
          signature: encodeBase64(new Uint8Array(64)),
        },
      },
      {
        name: 'clinics',
        url: '/v1/clinics',
        auth: false,
        body: {
          organisation: newId('org'),
          clinic: joiner.clinic,
          device: { id: joiner.id, name: 'Desk', ...joiner.publicKeys },
        },
      },
      {
        name: 'enrol',
        url: '/v1/enrol/requests',
        auth: false,
        body: {
          code: 'FUZZCODE02',
          clinic: admin.clinic,
          device: { id: fresh.id, name: 'Desk', ...fresh.publicKeys },
        },
      },
      {
        name: 'approve',
        url: `/v1/enrol/requests/${code}/approve`,
        auth: true,
        body: { sealedClinicKey: encodeBase64(new Uint8Array(80)), keyId: 'clinic-1' },
      },
      { name: 'push', url: `/v1/buckets/${admin.clinicBucket}/push`, auth: true, body: batch },
    ];
  }

  it('refuses arbitrary JSON on every endpoint with a 4xx JSON error', async () => {
    const targets = [
      ...validBodies().map((v) => ({ url: v.url, auth: v.auth })),
      { url: '/v1/devices/no-such-device/revoke', auth: true },
    ];
    for (const target of targets) {
      await fc.assert(
        fc.asyncProperty(anyJson, async (body) => {
          const answer = await t.caller.request('POST', target.url, {
            body,
            ...(target.auth ? { token: admin.token } : {}),
          });
          expectRefusal(answer, target.url);
        }),
        { numRuns: 60 },
      );
    }
  });

  it('refuses a valid body with one field of the wrong type, missing or unexpected', async () => {
    for (const target of validBodies()) {
      await fc.assert(
        fc.asyncProperty(mutations(target.body), async (mutation) => {
          const answer = await t.caller.request('POST', target.url, {
            body: applyMutation(target.body, mutation),
            ...(target.auth ? { token: admin.token } : {}),
          });
          expectRefusal(answer, `${target.name} ${mutation.action} ${mutation.path.join('.')}`);
          if (target.name !== 'approve') expect(answer.status).toBe(400);
        }),
        { numRuns: 80 },
      );
    }
  });

  it('refuses bodies that are not JSON, not declared as JSON, or too large', async () => {
    const urls = validBodies().map((v) => v.url);
    for (const url of urls) {
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
          fc.pre(
            !/^\s*(\{[\s\S]*\}|\[[\s\S]*\]|"[\s\S]*"|-?\d[\s\S]*|true|false|null)\s*$/.test(text),
          );
          const answer = await t.caller.request('POST', url, { raw: text, token: admin.token });
          expectRefusal(answer, url);
        }),
        { numRuns: 30 },
      );
      const wrongType = await t.caller.request('POST', url, {
        raw: 'device=x',
        token: admin.token,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(wrongType.status).toBe(415);
      expectRefusal(wrongType, url);
      const poisoned = await t.caller.request('POST', url, {
        raw: '{"__proto__": {"admin": true}}',
        token: admin.token,
      });
      expectRefusal(poisoned, url);
    }
    const big = await t.caller.request('POST', '/v1/auth/challenge', {
      raw: JSON.stringify({ device: 'x'.repeat(SYNC_LIMITS.requestBytes) }),
    });
    expect(big.status).toBe(413);
    expectRefusal(big, 'challenge');
    const bigBatch = await t.caller.request('POST', `/v1/buckets/${admin.clinicBucket}/push`, {
      raw: JSON.stringify({
        device: admin.id,
        messages: [],
        signature: 'x'.repeat(SYNC_LIMITS.batchBytes),
      }),
      token: admin.token,
    });
    expect(bigBatch.status).toBe(413);
    expect((bigBatch.body as RelayErrorBody).error.code).toBe('BODY_TOO_LARGE');
  });

  it('refuses malformed path parameters and queries on GET endpoints', async () => {
    const segment = fc.string({ minLength: 1, maxLength: 80 }).map(encodeURIComponent);
    await fc.assert(
      fc.asyncProperty(segment, fc.constantFrom('pull', 'events'), async (bucket, what) => {
        fc.pre(
          bucket !== encodeURIComponent(admin.clinicBucket) &&
            bucket !== encodeURIComponent(admin.organisationBucket),
        );
        const answer = await t.caller.request('GET', `/v1/buckets/${bucket}/${what}`, {
          token: admin.token,
        });
        expectRefusal(answer, `${what} ${bucket}`);
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(segment, fc.constantFrom('', '/result'), async (pairing, suffix) => {
        fc.pre(pairing !== code);
        const answer = await t.caller.request('GET', `/v1/enrol/requests/${pairing}${suffix}`, {
          token: admin.token,
        });
        expectRefusal(answer, `enrol ${pairing}${suffix}`);
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 30 }),
        async (after, limit) => {
          const query = `after=${encodeURIComponent(after)}&limit=${encodeURIComponent(limit)}`;
          const answer = await t.caller.request(
            'GET',
            `/v1/buckets/${admin.clinicBucket}/pull?${query}`,
            {
              token: admin.token,
            },
          );
          if (answer.status !== 200) expectRefusal(answer, query);
        },
      ),
      { numRuns: 80 },
    );
    const unknown = await t.caller.request('DELETE', '/v1/devices');
    expect(unknown.status).toBe(404);
    expectRefusal(unknown, 'unknown route');
  });

  it('keeps running and holds exactly what it held before', async () => {
    const health = await t.caller.request<{ status: string }>('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    expect(await snapshot(t.testStore.store)).toEqual(before);
    // No request ended in a server error.
    const errors = t.log.lines.filter(
      (line) => (JSON.parse(line) as { level: number }).level >= 50,
    );
    expect(errors).toEqual([]);
  });
});
