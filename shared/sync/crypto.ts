import { decodeBase64, encodeBase64 } from './base64';
import {
  authChallengeBytes,
  canonicalBatch,
  canonicalHeader,
  fingerprintBytes,
  pageChecksumBytes,
  receiptBytes,
  type DecodedMessage,
} from './canonical';
import type { MessageHeader, PulledMessage, PushBatch, SyncMessage } from './protocol';
import { utf8Decoder, utf8Encoder } from './utf8';

/**
 * The protocol's cryptography, named by the few operations it uses. shared/ stays free of any
 * runtime: the relay implements these with node:crypto, workstations with libsodium
 * (crypto_sign_*, crypto_aead_xchacha20poly1305_ietf_*, crypto_hash_sha256, randombytes_buf).
 */
export interface Sha256 {
  sha256(data: Uint8Array): Uint8Array;
}
export interface Ed25519Verifier {
  verifyDetached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}
export interface Ed25519Signer {
  signDetached(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
}
export interface XChaCha20Poly1305 {
  encrypt(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  /** Throws when the ciphertext, the associated data or the key do not match. */
  decrypt(ciphertext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
}
export interface RandomSource {
  randomBytes(length: number): Uint8Array;
}

export const AEAD_NONCE_BYTES = 24;

export class PayloadOpenError extends Error {
  override readonly name = 'PayloadOpenError';
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** The changed columns of a row as payload plaintext (UTF-8 JSON). */
export function encodeColumns(columns: Record<string, unknown>): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(columns));
}

export function decodeColumns(plaintext: Uint8Array): Record<string, unknown> {
  const value: unknown = JSON.parse(utf8Decoder.decode(plaintext));
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new PayloadOpenError('A payload is not a set of columns');
  return value as Record<string, unknown>;
}

/**
 * Seals a payload for `header` under `key` (32 bytes) with a fresh random nonce.
 *
 * @example
 * const payload = sealPayload(sodiumCrypto, header, encodeColumns({ family_name: 'Ng' }), key);
 */
export function sealPayload(
  crypto: XChaCha20Poly1305 & RandomSource,
  header: MessageHeader,
  plaintext: Uint8Array,
  key: Uint8Array,
): string {
  const nonce = crypto.randomBytes(AEAD_NONCE_BYTES);
  const sealed = crypto.encrypt(plaintext, canonicalHeader(header), nonce, key);
  const out = new Uint8Array(nonce.length + sealed.length);
  out.set(nonce);
  out.set(sealed, nonce.length);
  return encodeBase64(out);
}

/** Opens a payload; throws `PayloadOpenError` when it was altered, moved or sealed otherwise. */
export function openPayload(
  crypto: XChaCha20Poly1305,
  header: MessageHeader,
  payload: string,
  key: Uint8Array,
): Uint8Array {
  const bytes = decodeBase64(payload);
  if (bytes.length < AEAD_NONCE_BYTES + 16) throw new PayloadOpenError('A payload is too short');
  try {
    return crypto.decrypt(
      bytes.subarray(AEAD_NONCE_BYTES),
      canonicalHeader(header),
      bytes.subarray(0, AEAD_NONCE_BYTES),
      key,
    );
  } catch {
    throw new PayloadOpenError('A payload could not be opened: altered, moved or wrong key');
  }
}

export function decodeMessages(messages: readonly SyncMessage[]): DecodedMessage[] {
  return messages.map((m) => ({ header: m.header, payload: decodeBase64(m.payload) }));
}

/**
 * Signs a batch of messages of one device. `payloads`, when the caller has them, are the messages'
 * payloads decoded (the sealed bytes it just encoded), so they are not decoded again.
 */
export function signBatch(
  crypto: Ed25519Signer,
  device: string,
  messages: SyncMessage[],
  secretKey: Uint8Array,
  payloads?: readonly Uint8Array[],
): PushBatch {
  const decoded =
    payloads && payloads.length === messages.length
      ? messages.map((m, i) => ({ header: m.header, payload: payloads[i]! }))
      : decodeMessages(messages);
  const signature = crypto.signDetached(canonicalBatch(device, decoded), secretKey);
  return { device, messages, signature: encodeBase64(signature) };
}

/** Checks a batch signature against the device's registered public key. */
export function verifyBatchSignature(
  crypto: Ed25519Verifier,
  device: string,
  messages: readonly DecodedMessage[],
  signature: string,
  publicKey: Uint8Array,
): boolean {
  return crypto.verifyDetached(
    decodeBase64(signature),
    canonicalBatch(device, messages),
    publicKey,
  );
}

/** Signature for `POST /v1/auth/token`. */
export function signChallenge(
  crypto: Ed25519Signer,
  device: string,
  nonce: string,
  secretKey: Uint8Array,
): string {
  return encodeBase64(
    crypto.signDetached(authChallengeBytes(device, decodeBase64(nonce)), secretKey),
  );
}

/** Hex SHA-256 over a page; the client recomputes it to detect a corrupted or divergent page. */
export function pageChecksum(
  crypto: Sha256,
  messages: ReadonlyArray<DecodedMessage & { serverSeq: number }>,
): string {
  return toHex(crypto.sha256(pageChecksumBytes(messages)));
}

/** `pageChecksum` of a page as received (payloads still in base64). */
export function pulledPageChecksum(crypto: Sha256, messages: readonly PulledMessage[]): string {
  return pageChecksum(
    crypto,
    messages.map((m) => ({
      serverSeq: m.serverSeq,
      header: m.header,
      payload: decodeBase64(m.payload),
    })),
  );
}

/** Digest the relay stores to tell a repeated push from a reused sequence number. */
export function receiptDigest(crypto: Sha256, message: DecodedMessage): string {
  return toHex(crypto.sha256(receiptBytes(message)));
}

/**
 * What a new workstation shows beside its pairing code, and what the approving workstation
 * recomputes from the keys the relay hands it: 8 groups of 4 hex digits (128 bits).
 */
export function enrolmentFingerprint(
  crypto: Sha256,
  signingKey: Uint8Array,
  boxKey: Uint8Array,
): string {
  const hex = toHex(crypto.sha256(fingerprintBytes(signingKey, boxKey)).subarray(0, 16));
  return (hex.match(/.{4}/g) ?? []).join(' ').toUpperCase();
}
