import nodeCrypto from 'node:crypto';
import { canonicalHeader, pageChecksumBytes } from '../../../shared/sync/canonical';
import { AEAD_NONCE_BYTES, toHex, type XChaCha20Poly1305 } from '../../../shared/sync/crypto';
import type { MessageHeader, PulledMessage } from '../../../shared/sync/protocol';

/**
 * The protocol's payload format (shared/sync/crypto.ts `sealPayload` / `openPayload`:
 * base64 of nonce || XChaCha20-Poly1305(plaintext, AD = canonicalHeader)) with the nonce chosen by
 * the caller, and with Node's base64 and SHA-256: a bootstrap opens hundreds of thousands of
 * messages, and the portable versions in shared/ cost several times more per message.
 */
export function sealWithNonce(
  aead: XChaCha20Poly1305,
  header: MessageHeader,
  plaintext: Uint8Array,
  nonce: Uint8Array,
  key: Uint8Array,
): string {
  return sealBytesWithNonce(aead, header, plaintext, nonce, key).toString('base64');
}

/** `sealWithNonce` before base64: nonce || ciphertext || tag. */
export function sealBytesWithNonce(
  aead: XChaCha20Poly1305,
  header: MessageHeader,
  plaintext: Uint8Array,
  nonce: Uint8Array,
  key: Uint8Array,
): Buffer {
  if (nonce.length !== AEAD_NONCE_BYTES) throw new Error('A nonce is 24 bytes');
  const sealed = aead.encrypt(plaintext, canonicalHeader(header), nonce, key);
  return Buffer.concat([nonce, sealed]);
}

/** Throws when the payload was altered, moved to another header or sealed under another key. */
export function openBytes(
  aead: XChaCha20Poly1305,
  header: MessageHeader,
  payload: Uint8Array,
  key: Uint8Array,
): Uint8Array {
  if (payload.length < AEAD_NONCE_BYTES + 16) throw new Error('A payload is too short');
  return aead.decrypt(
    payload.subarray(AEAD_NONCE_BYTES),
    canonicalHeader(header),
    payload.subarray(0, AEAD_NONCE_BYTES),
    key,
  );
}

export function decodePayload(payload: string): Uint8Array {
  return new Uint8Array(Buffer.from(payload, 'base64'));
}

/** `pulledPageChecksum` of shared/sync/crypto.ts, over payloads already decoded. */
export function pageChecksumOf(
  messages: readonly PulledMessage[],
  payloads: readonly Uint8Array[],
): string {
  const bytes = pageChecksumBytes(
    messages.map((m, i) => ({ serverSeq: m.serverSeq, header: m.header, payload: payloads[i]! })),
  );
  return toHex(nodeCrypto.createHash('sha256').update(bytes).digest());
}

/**
 * Random nonces from a pooled buffer: libsodium's randombytes_buf in Node costs ~100 µs a call,
 * which would dominate sealing an outbox of thousands of changes.
 */
export class NoncePool {
  private pool = Buffer.alloc(0);
  private offset = 0;

  next(): Uint8Array {
    if (this.offset + AEAD_NONCE_BYTES > this.pool.length) {
      this.pool = nodeCrypto.randomBytes(AEAD_NONCE_BYTES * 1024);
      this.offset = 0;
    }
    const out = new Uint8Array(this.pool.subarray(this.offset, this.offset + AEAD_NONCE_BYTES));
    // Each nonce is used once: wipe it from the pool as it is handed out.
    this.pool.fill(0, this.offset, this.offset + AEAD_NONCE_BYTES);
    this.offset += AEAD_NONCE_BYTES;
    return out;
  }
}
