import crypto from 'node:crypto';
import { CANONICAL_LABELS } from '../shared/sync/canonical';
import type { Ed25519Verifier, Sha256 } from '../shared/sync/crypto';

/** DER prefix that turns a raw 32-byte Ed25519 public key into an SPKI key node:crypto accepts. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Parsed public keys of the workstations that pushed lately: parsing a key costs as much as
 * verifying a small batch. Bounded so a stream of new devices cannot grow it without limit.
 */
const KEY_CACHE_SIZE = 1024;
const publicKeys = new Map<string, crypto.KeyObject | null>();

function ed25519PublicKey(raw: Uint8Array): crypto.KeyObject | null {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  const cached = publicKeys.get(id);
  if (cached !== undefined) return cached;
  let key: crypto.KeyObject | null;
  try {
    key = crypto.createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, raw]),
      format: 'der',
      type: 'spki',
    });
  } catch {
    // A public key that is not a curve point cannot have made any signature.
    key = null;
  }
  if (publicKeys.size >= KEY_CACHE_SIZE) publicKeys.clear();
  publicKeys.set(id, key);
  return key;
}

/** The relay's side of the protocol's cryptography: it only hashes and verifies. */
export const relayCrypto: Sha256 & Ed25519Verifier = {
  sha256: (data) => crypto.hash('sha256', data, 'buffer'),
  verifyDetached(signature, message, publicKey) {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    const key = ed25519PublicKey(publicKey);
    if (!key) return false;
    try {
      return crypto.verify(null, message, key, signature);
    } catch {
      return false;
    }
  },
};

/** `text(CANONICAL_LABELS.receipt)` as ByteWriter writes it: 32-bit length, then UTF-8. */
const RECEIPT_PREFIX = (() => {
  const label = Buffer.from(CANONICAL_LABELS.receipt, 'utf8');
  const out = Buffer.alloc(4 + label.length);
  out.writeUInt32BE(label.length, 0);
  label.copy(out, 4);
  return out;
})();

/**
 * `receiptDigest` of every message of a batch, read off the batch's canonical bytes rather than
 * encoding each header again. `canonicalBatch` writes its label, the device, a 32-bit count, then
 * per message a length-prefixed header and a length-prefixed payload; `receiptBytes` is the
 * receipt label followed by exactly those two fields, so each digest covers the very bytes the
 * signature covered. Throws if the bytes do not hold `count` messages.
 */
export function receiptDigestsOfBatch(batchBytes: Uint8Array, count: number): string[] {
  const view = new DataView(batchBytes.buffer, batchBytes.byteOffset, batchBytes.byteLength);
  const field = (at: number) => at + 4 + view.getUint32(at);
  let at = field(field(0));
  if (view.getUint32(at) !== count) throw new Error('The batch bytes hold another message count');
  at += 4;
  let scratch = Buffer.allocUnsafe(4096);
  RECEIPT_PREFIX.copy(scratch);
  const digests: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const start = at;
    at = field(field(at));
    if (at > batchBytes.length) throw new Error('The batch bytes end inside a message');
    const length = RECEIPT_PREFIX.length + at - start;
    if (length > scratch.length) {
      scratch = Buffer.allocUnsafe(length * 2);
      RECEIPT_PREFIX.copy(scratch);
    }
    scratch.set(batchBytes.subarray(start, at), RECEIPT_PREFIX.length);
    digests[i] = crypto.hash('sha256', scratch.subarray(0, length), 'hex');
  }
  if (at !== batchBytes.length) throw new Error('The batch bytes run on after the last message');
  return digests;
}

export function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}
