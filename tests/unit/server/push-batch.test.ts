import crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeHlc } from '../../../shared/hlc';
import { encodeBase64 } from '../../../shared/sync/base64';
import { pushBatch, type MessageHeader, type PushBatch } from '../../../shared/sync/protocol';
import { isPushBatch, readPushBatch } from '../../../server/services/push-batch';
import { RelayError } from '../../../server/errors';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const bytes = (n: number) => encodeBase64(new Uint8Array(crypto.randomBytes(n)));

function header(seq: number, overrides: Partial<MessageHeader> = {}): MessageHeader {
  return {
    v: 1,
    bucket: 'clinic.c-1',
    device: 'd-1',
    deviceSeq: seq,
    hlc: encodeHlc({ millis: 1_795_000_000_000, counter: seq % 65_536, node: 'd-1' }),
    table: 'patient_phone',
    rowId: crypto.randomUUID(),
    subject: seq % 2 === 0 ? null : crypto.randomUUID(),
    op: 'upsert',
    schema: 1,
    keyId: 'clinic-1',
    ...overrides,
  };
}

function batch(messages = 3): PushBatch {
  return {
    device: 'd-1',
    messages: Array.from({ length: messages }, (_, i) => ({
      header: header(i + 1),
      payload: bytes(40 + (i % 10) * 30),
    })),
    signature: bytes(64),
  };
}

const zodAccepts = (body: unknown) => pushBatch.safeParse(body).success;

/** Strings near what header fields hold: the allowed alphabets, their edges and a few intruders. */
const nearlyValidText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'azAZ09_-.:'.split('')), minLength: 0, maxLength: 130 }),
  fc.string({
    unit: fc.constantFrom(...'abc019-_.:/ \n\u00e9\u0000=+'.split('')),
    maxLength: 70,
  }),
  fc.constantFrom(
    'clinic.c-1',
    'org.o-1',
    'clinic.',
    'Clinic.c-1',
    'clinic.c-1\n',
    'patient',
    'Patient',
    '1patient',
    `0194f0f0f0f0-0001-${'d'.repeat(64)}`,
    `0194f0f0f0f0-0001-${'d'.repeat(65)}`,
    '0194F0F0F0F0-0001-d-1',
    'a'.repeat(64),
    'a'.repeat(65),
    'a'.repeat(128),
    'a'.repeat(129),
  ),
);

const fieldValue = fc.oneof(
  nearlyValidText,
  fc.constantFrom<Json>(
    null,
    0,
    1,
    2,
    -1,
    1.5,
    65_535,
    65_536,
    Number.MAX_SAFE_INTEGER,
    2 ** 53,
    true,
    [],
    {},
    'upsert',
    'shred',
    'delete',
    'Upsert',
  ),
  fc.nat({ max: 70_000 }).map((n) => bytes(n)),
  fc.string({ maxLength: 12 }).map((s) => `${bytes(45)}${s}`),
);

const HEADER_FIELDS: Array<keyof MessageHeader> = [
  'v',
  'bucket',
  'device',
  'deviceSeq',
  'hlc',
  'table',
  'rowId',
  'subject',
  'op',
  'schema',
  'keyId',
];

/** One change to a valid batch: a field replaced, dropped or added, at any level. */
const mutation = fc.oneof(
  fc.record({
    where: fc.constant('header' as const),
    field: fc.constantFrom<string>(...HEADER_FIELDS, 'extra'),
    value: fieldValue,
    drop: fc.boolean(),
  }),
  fc.record({
    where: fc.constantFrom('message' as const, 'batch' as const),
    field: fc.constantFrom('payload', 'header', 'device', 'messages', 'signature', 'extra'),
    value: fieldValue,
    drop: fc.boolean(),
  }),
);

function mutate(
  body: PushBatch,
  m: { where: string; field: string; value: Json; drop: boolean },
): Json {
  const copy = structuredClone(body) as unknown as { [key: string]: Json } & {
    messages: Array<{ [key: string]: Json } & { header: { [key: string]: Json } }>;
  };
  const message = Array.isArray(copy.messages) ? copy.messages[1] : undefined;
  const target = m.where === 'batch' ? copy : m.where === 'message' ? message : message?.header;
  // An earlier change may have removed what this one would change.
  if (target === null || typeof target !== 'object' || Array.isArray(target)) return copy;
  if (m.drop) delete target[m.field];
  else target[m.field] = m.value;
  return copy as unknown as Json;
}

describe('the hand-written push batch check', () => {
  it('takes valid batches as they are, as the schema does', () => {
    for (const size of [1, 2, 50, 1000]) {
      const body = batch(size);
      expect(isPushBatch(body)).toBe(true);
      expect(readPushBatch(body)).toBe(body);
      expect(pushBatch.parse(body)).toEqual(body);
    }
    const edges = batch(3);
    edges.messages[0]!.header = header(Number.MAX_SAFE_INTEGER, {
      bucket: `org.${'o'.repeat(64)}`,
      device: 'd'.repeat(64),
      rowId: 'r'.repeat(128),
      subject: 's'.repeat(128),
      table: `t${'_'.repeat(62)}`,
      keyId: 'k.'.repeat(32),
      schema: 65_535,
      op: 'shred',
    });
    edges.messages[1]!.payload = bytes(40);
    edges.messages[2]!.payload = bytes(64 * 1024);
    expect(zodAccepts(edges)).toBe(true);
    expect(isPushBatch(edges)).toBe(true);
  });

  it('never accepts what the schema refuses', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (changes) => {
        let body = batch(3) as unknown as Json;
        for (const m of changes) body = mutate(body as unknown as PushBatch, m);
        if (isPushBatch(body)) {
          expect(zodAccepts(body)).toBe(true);
          expect(pushBatch.parse(body)).toEqual(body);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses the limits the schema draws', () => {
    const cases: Array<[string, (b: PushBatch) => void]> = [
      ['no messages', (b) => (b.messages = [])],
      ['1,001 messages', (b) => (b.messages = batch(1001).messages)],
      ['payload of 39 bytes', (b) => (b.messages[0]!.payload = bytes(39))],
      ['payload over 64 KiB', (b) => (b.messages[0]!.payload = bytes(64 * 1024 + 1))],
      // Padded, with bits set after the last byte: decodes, but is not the one spelling.
      ['payload not canonical', (b) => (b.messages[0]!.payload = `${'A'.repeat(54)}B=`)],
      ['signature of 63 bytes', (b) => (b.signature = bytes(63))],
      ['sequence 0', (b) => (b.messages[0]!.header.deviceSeq = 0)],
      ['unsafe sequence', (b) => (b.messages[0]!.header.deviceSeq = 2 ** 53)],
      ['schema 65,536', (b) => (b.messages[0]!.header.schema = 65_536)],
      [
        'a shred of nobody',
        (b) => (b.messages[0]!.header = header(1, { op: 'shred', subject: null })),
      ],
      ['version 2', (b) => ((b.messages[0]!.header as { v: number }).v = 2)],
      ['upper-case hlc', (b) => (b.messages[0]!.header.hlc = '0194F0F0F0F0-0001-d-1')],
      ['a hole', (b) => (b.messages.length = 4)],
    ];
    for (const [name, change] of cases) {
      const body = batch(3);
      change(body);
      expect(zodAccepts(body), name).toBe(false);
      expect(isPushBatch(body), name).toBe(false);
      expect(() => readPushBatch(body), name).toThrow(RelayError);
    }
  });

  it("refuses with the schema's own message", () => {
    const body = batch(2) as unknown as { messages: Array<{ header: Record<string, Json> }> };
    body.messages[1]!.header.table = 'Patient';
    let error: unknown;
    try {
      readPushBatch(body);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RelayError);
    expect((error as RelayError).code).toBe('VALIDATION');
    expect((error as RelayError).message).toContain('messages.1.header.table');
  });
});
