import crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeHlc } from '../../../shared/hlc';
import { canonicalBatch, type DecodedMessage } from '../../../shared/sync/canonical';
import { receiptDigest } from '../../../shared/sync/crypto';
import { MESSAGE_OPS } from '../../../shared/sync/protocol';
import { receiptDigestsOfBatch, relayCrypto } from '../../../server/crypto';

const text = (max: number) => fc.string({ minLength: 1, maxLength: max });

const message: fc.Arbitrary<DecodedMessage> = fc.record({
  header: fc.record({
    v: fc.constant(1 as const),
    bucket: text(70),
    device: text(64),
    deviceSeq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    hlc: fc
      .record({ millis: fc.nat({ max: 2 ** 47 }), counter: fc.nat({ max: 65_535 }) })
      .map(({ millis, counter }) => encodeHlc({ millis, counter, node: 'd-1' })),
    table: text(63),
    rowId: text(128),
    // Beyond the schema's ASCII on purpose: the digest covers any text the encoding takes.
    subject: fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })),
    op: fc.constantFrom(...MESSAGE_OPS),
    schema: fc.integer({ min: 1, max: 65_535 }),
    keyId: text(64),
  }),
  // Up to 10 KB, past the 4 KB the digests start their scratch buffer at.
  payload: fc.uint8Array({ maxLength: 10_000 }),
});

describe("the relay's receipt digests", () => {
  it('equal receiptDigest of every message, read off the signed batch bytes', () => {
    fc.assert(
      fc.property(text(64), fc.array(message, { minLength: 1, maxLength: 12 }), (device, ms) => {
        const digests = receiptDigestsOfBatch(canonicalBatch(device, ms), ms.length);
        expect(digests).toEqual(ms.map((m) => receiptDigest(relayCrypto, m)));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses bytes that do not hold the messages counted', () => {
    const m: DecodedMessage = {
      header: {
        v: 1,
        bucket: 'clinic.c-1',
        device: 'd-1',
        deviceSeq: 1,
        hlc: encodeHlc({ millis: 1, counter: 0, node: 'd-1' }),
        table: 'patient',
        rowId: 'r-1',
        subject: null,
        op: 'upsert',
        schema: 1,
        keyId: 'clinic-1',
      },
      payload: new Uint8Array(crypto.randomBytes(48)),
    };
    const bytes = canonicalBatch('d-1', [m, m]);
    expect(() => receiptDigestsOfBatch(bytes, 3)).toThrow();
    expect(() => receiptDigestsOfBatch(bytes.subarray(0, bytes.length - 1), 2)).toThrow();
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(() => receiptDigestsOfBatch(longer, 2)).toThrow();
  });
});

describe("the relay's signature check", () => {
  it('verifies with a cached key, and refuses other keys and altered messages', () => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
    const raw = new Uint8Array(
      Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url'),
    );
    const data = new Uint8Array(crypto.randomBytes(300));
    const signature = new Uint8Array(crypto.sign(null, data, privateKey));
    for (let i = 0; i < 3; i++) expect(relayCrypto.verifyDetached(signature, data, raw)).toBe(true);
    const other = data.slice();
    other[0]! ^= 1;
    expect(relayCrypto.verifyDetached(signature, other, raw)).toBe(false);
    const stranger = crypto.generateKeyPairSync('ed25519').publicKey;
    const strangerRaw = new Uint8Array(
      Buffer.from(stranger.export({ format: 'jwk' }).x as string, 'base64url'),
    );
    expect(relayCrypto.verifyDetached(signature, data, strangerRaw)).toBe(false);
    // Bytes that were never anyone's key, and a key of the wrong length.
    const made = new Uint8Array(32);
    made[0] = 2;
    expect(relayCrypto.verifyDetached(signature, data, made)).toBe(false);
    expect(relayCrypto.verifyDetached(signature, data, raw.subarray(1))).toBe(false);
    expect(relayCrypto.verifyDetached(signature.subarray(1), data, raw)).toBe(false);
  });
});
