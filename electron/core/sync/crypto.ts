import nodeCrypto from 'node:crypto';
import { decodeBase64, encodeBase64 } from '../../../shared/sync/base64';
import {
  enrolmentFingerprint,
  type Ed25519Signer,
  type RandomSource,
  type Sha256,
  type XChaCha20Poly1305,
} from '../../../shared/sync/crypto';
import { loadSodium, type Sodium } from '../crypto/sodium';

/** The protocol's primitives (shared/sync/crypto.ts) implemented with libsodium. */
export type SyncCrypto = Ed25519Signer & XChaCha20Poly1305 & RandomSource & Sha256;

/**
 * libsodium for Ed25519 and XChaCha20-Poly1305 (Node's crypto has neither AEAD); Node for random
 * bytes and SHA-256, which libsodium's JavaScript build does far slower (randombytes_buf ~100 µs).
 */
export function sodiumSyncCrypto(sodium: Sodium): SyncCrypto {
  return {
    signDetached: (message, secretKey) => sodium.crypto_sign_detached(message, secretKey),
    encrypt: (plaintext, ad, nonce, key) =>
      sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key),
    decrypt: (ciphertext, ad, nonce, key) =>
      sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key),
    randomBytes: (length) => new Uint8Array(nodeCrypto.randomBytes(length)),
    sha256: (data) => new Uint8Array(nodeCrypto.createHash('sha256').update(data).digest()),
  };
}

let shared: Promise<{ sodium: Sodium; crypto: SyncCrypto }> | null = null;

export function loadSyncCrypto(): Promise<{ sodium: Sodium; crypto: SyncCrypto }> {
  shared ??= loadSodium().then((sodium) => ({ sodium, crypto: sodiumSyncCrypto(sodium) }));
  return shared;
}

/** A workstation's own keys: Ed25519 to sign batches and challenges, X25519 to receive the clinic key. */
export interface DeviceKeys {
  signingPublic: Uint8Array;
  signingSecret: Uint8Array;
  boxPublic: Uint8Array;
  boxSecret: Uint8Array;
}

export function newDeviceKeys(sodium: Sodium): DeviceKeys {
  const signing = sodium.crypto_sign_keypair();
  const box = sodium.crypto_box_keypair();
  return {
    signingPublic: signing.publicKey,
    signingSecret: signing.privateKey,
    boxPublic: box.publicKey,
    boxSecret: box.privateKey,
  };
}

export function fingerprintOf(crypto: Sha256, keys: { signingKey: string; boxKey: string }) {
  return enrolmentFingerprint(crypto, decodeBase64(keys.signingKey), decodeBase64(keys.boxKey));
}

/** Seals a clinic key to a joining workstation's box key (crypto_box_seal). */
export function sealClinicKey(sodium: Sodium, key: Uint8Array, boxPublic: string): string {
  return encodeBase64(sodium.crypto_box_seal(key, decodeBase64(boxPublic)));
}

/** Opens the clinic key an administrator sealed to this workstation; throws if it was not. */
export function openClinicKey(sodium: Sodium, sealed: string, keys: DeviceKeys): Uint8Array {
  return sodium.crypto_box_seal_open(decodeBase64(sealed), keys.boxPublic, keys.boxSecret);
}

const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A pairing code of 12 characters from a 32-letter alphabet without I, L, O and U (60 bits), so
 * it cannot be guessed in the 15 minutes a request lives and is easy to read aloud.
 */
export function newPairingCode(crypto: RandomSource): string {
  const bytes = crypto.randomBytes(12);
  let out = '';
  for (const b of bytes) out += CODE_ALPHABET[b & 31]!;
  return out;
}

/**
 * A short random id for the relay (clinic, organisation): 12 characters, 60 bits. Short because
 * it travels in every message header; an id needs to be unique, not secret.
 */
export function newRelayId(crypto: RandomSource): string {
  return newPairingCode(crypto).toLowerCase();
}
