import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeHlc } from '../../../shared/hlc';
import { Base64Error, decodeBase64, encodeBase64 } from '../../../shared/sync/base64';
import { canonicalBatch, canonicalHeader } from '../../../shared/sync/canonical';
import {
  decodeColumns,
  decodeMessages,
  encodeColumns,
  enrolmentFingerprint,
  openPayload,
  pageChecksum,
  sealPayload,
  signBatch,
  verifyBatchSignature,
} from '../../../shared/sync/crypto';
import { messageHeader, pushBatch, type MessageHeader } from '../../../shared/sync/protocol';
import { relayCrypto } from '../../../server/crypto';
import { loadSodium, sodiumCrypto } from './support';

const header = (overrides: Partial<MessageHeader> = {}): MessageHeader => ({
  v: 1,
  bucket: 'clinic.c-1',
  device: 'd-1',
  deviceSeq: 7,
  hlc: encodeHlc({ millis: 1_795_000_000_000, counter: 3, node: 'd-1' }),
  table: 'patient',
  rowId: '0192f3a1-b2c3-7000-8000-000000000001',
  subject: '0192f3a1-b2c3-7000-8000-000000000001',
  op: 'upsert',
  schema: 1,
  keyId: 'clinic-1',
  ...overrides,
});

/** A different, still valid, value for each header field. */
const ALTERED: { [K in keyof MessageHeader]: MessageHeader[K] } = {
  v: 1,
  bucket: 'clinic.c-2',
  device: 'd-2',
  deviceSeq: 8,
  hlc: encodeHlc({ millis: 1_795_000_000_001, counter: 3, node: 'd-1' }),
  table: 'patient_phone',
  rowId: 'another-row',
  subject: null,
  op: 'delete',
  schema: 2,
  keyId: 'clinic-2',
};

describe('sync wire format', () => {
  it('encodes base64 like Node and decodes only canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = encodeBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(decodeBase64(text)).toEqual(bytes);
      }),
    );
    for (const bad of ['QR==', 'QUI=x', 'QU=I', 'Q', 'QUJD\n', 'QU I=', 'QUJ-', '====']) {
      expect(() => decodeBase64(bad), bad).toThrow(Base64Error);
    }
  });

  it('gives every header a distinct canonical encoding, the same every time', () => {
    const base = header();
    expect(canonicalHeader(base)).toEqual(canonicalHeader({ ...base }));
    const seen = new Set([Buffer.from(canonicalHeader(base)).toString('hex')]);
    for (const key of Object.keys(ALTERED) as Array<keyof MessageHeader>) {
      if (key === 'v') continue;
      const changed = { ...base, [key]: ALTERED[key] } as MessageHeader;
      seen.add(Buffer.from(canonicalHeader(changed)).toString('hex'));
    }
    expect(seen.size).toBe(Object.keys(ALTERED).length);
    // Length prefixes keep field boundaries: moving a character between fields changes the bytes.
    const a = canonicalHeader(header({ table: 'ab', rowId: 'c' }));
    const b = canonicalHeader(header({ table: 'a', rowId: 'bc' }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('binds a payload to its header: any changed field stops it opening', async () => {
    const sodium = await loadSodium();
    const crypto = sodiumCrypto(sodium);
    const key = sodium.randombytes_buf(32);
    const h = header();
    const payload = sealPayload(crypto, h, encodeColumns({ family_name: 'Ó Súilleabháin' }), key);
    expect(decodeColumns(openPayload(crypto, h, payload, key))).toEqual({
      family_name: 'Ó Súilleabháin',
    });
    for (const field of Object.keys(ALTERED) as Array<keyof MessageHeader>) {
      if (field === 'v') continue;
      const moved = { ...h, [field]: ALTERED[field] } as MessageHeader;
      expect(() => openPayload(crypto, moved, payload, key), field).toThrow(/could not be opened/);
    }
    expect(() => openPayload(crypto, h, payload, sodium.randombytes_buf(32))).toThrow();
  });

  it('signs batches with libsodium and verifies them with node:crypto, and not once altered', async () => {
    const sodium = await loadSodium();
    const crypto = sodiumCrypto(sodium);
    const keys = sodium.crypto_sign_keypair();
    const key = sodium.randombytes_buf(32);
    const messages = [1, 2, 3].map((n) => {
      const h = header({ deviceSeq: n });
      return { header: h, payload: sealPayload(crypto, h, encodeColumns({ n }), key) };
    });
    const batch = signBatch(crypto, 'd-1', messages, keys.privateKey);
    expect(pushBatch.safeParse(batch).success).toBe(true);
    const decoded = decodeMessages(batch.messages);
    expect(verifyBatchSignature(relayCrypto, 'd-1', decoded, batch.signature, keys.publicKey)).toBe(
      true,
    );
    expect(verifyBatchSignature(relayCrypto, 'd-2', decoded, batch.signature, keys.publicKey)).toBe(
      false,
    );
    expect(
      verifyBatchSignature(
        relayCrypto,
        'd-1',
        decoded.slice(0, 2),
        batch.signature,
        keys.publicKey,
      ),
    ).toBe(false);
    const other = sodium.crypto_sign_keypair();
    expect(
      verifyBatchSignature(relayCrypto, 'd-1', decoded, batch.signature, other.publicKey),
    ).toBe(false);
    // A public key that is not a curve point verifies nothing.
    expect(
      verifyBatchSignature(
        relayCrypto,
        'd-1',
        decoded,
        batch.signature,
        new Uint8Array(32).fill(255),
      ),
    ).toBe(false);
    expect(Buffer.from(canonicalBatch('d-1', decoded)).length).toBeGreaterThan(0);
  });

  it('computes the same checksums and fingerprints on the relay and on workstations', async () => {
    const sodium = await loadSodium();
    const crypto = sodiumCrypto(sodium);
    const page = [1, 2].map((serverSeq) => ({
      serverSeq,
      header: header({ deviceSeq: serverSeq }),
      payload: sodium.randombytes_buf(60),
    }));
    expect(pageChecksum(crypto, page)).toBe(pageChecksum(relayCrypto, page));
    expect(pageChecksum(crypto, page)).not.toBe(pageChecksum(crypto, page.slice().reverse()));
    const signing = sodium.randombytes_buf(32);
    const box = sodium.randombytes_buf(32);
    expect(enrolmentFingerprint(crypto, signing, box)).toBe(
      enrolmentFingerprint(relayCrypto, signing, box),
    );
    expect(enrolmentFingerprint(crypto, signing, box)).not.toBe(
      enrolmentFingerprint(crypto, box, signing),
    );
  });

  it('refuses malformed headers with field-level reasons', () => {
    const cases: Array<[Partial<Record<keyof MessageHeader, unknown>>, string]> = [
      [{ op: 'shred', subject: null }, 'subject'],
      [{ v: 2 }, 'v'],
      [{ hlc: '2026-11-20T09:00:00Z' }, 'hlc'],
      [{ deviceSeq: 0 }, 'deviceSeq'],
      [{ bucket: 'clinic/../x' }, 'bucket'],
      [{ table: 'Patient; DROP' }, 'table'],
      [{ schema: 1.5 }, 'schema'],
    ];
    for (const [change, path] of cases) {
      const result = messageHeader.safeParse({ ...header(), ...change });
      expect(result.success, path).toBe(false);
      expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
    }
    expect(messageHeader.safeParse({ ...header(), extra: 1 }).success).toBe(false);
    expect(messageHeader.safeParse(header({ op: 'shred' })).success).toBe(true);
  });
});
