import fs from 'node:fs';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { writeFileAtomic } from './atomic-file';
import { b64, loadSodium, wipe, type Sodium } from './sodium';

/**
 * The keyring holds the random store key sealed (crypto_box_seal) to each staff member's X25519
 * public key and to the recovery key. Each staff secret key is wrapped with XChaCha20-Poly1305
 * under Argon2id(password); the user id and the KDF parameters are the associated data, so an entry
 * cannot be moved to another user or downgraded.
 */
export interface KdfParams {
  opslimit: number;
  memlimit: number;
}

/** Production parameters: 3 passes over 64 MiB (about 200-400 ms here). */
export const DEFAULT_KDF: KdfParams = { opslimit: 3, memlimit: 64 * 1024 * 1024 };

/**
 * Bounds on stored Argon2id parameters. The KDF runs before the entry is authenticated, so an
 * edited file could otherwise make sign-in hang or exhaust memory.
 */
const MAX_OPSLIMIT = 16;
const MAX_MEMLIMIT = 1024 * 1024 * 1024;

const wrapped = z.object({
  salt: z.string(),
  nonce: z.string(),
  ciphertext: z.string(),
  opslimit: z.number().int().min(1).max(MAX_OPSLIMIT),
  memlimit: z
    .number()
    .int()
    .min(8 * 1024)
    .max(MAX_MEMLIMIT),
});

const staffEntry = z.object({
  userId: z.string(),
  username: z.string(),
  publicKey: z.string(),
  secretKey: wrapped,
  sealedStoreKey: z.string(),
});

const recoveryEntry = z.object({ publicKey: z.string(), sealedStoreKey: z.string() });

const keyringFile = z.object({
  format: z.literal('enamel-keyring'),
  version: z.literal(1),
  storeId: z.string(),
  /** Keyed BLAKE2b of the store id under the store key: tells a wrong key from a damaged file. */
  storeKeyCheck: z.string(),
  clinicName: z.string(),
  staff: z.array(staffEntry),
  recovery: recoveryEntry,
  /**
   * A replacement recovery key that has not been shown yet (see staff.replaceRecoveryKey). Never
   * used to unlock: until the new key is on screen the clinic only holds `recovery`.
   */
  pendingRecovery: recoveryEntry.optional(),
  /**
   * Someone lost access (their entry is already gone) but the store key has not been rotated yet:
   * the next sign-in rotates it. Set in the same write that drops the entry.
   */
  rotationDue: z.boolean().optional(),
});

export type KeyringFile = z.infer<typeof keyringFile>;
export type StaffKeyEntry = z.infer<typeof staffEntry>;
export type RecoveryEntry = z.infer<typeof recoveryEntry>;

const damagedKeyring = () =>
  new AppError('STORE_CORRUPT', 'The keyring file is damaged. Restore it from a backup.');

/** Parses keyring text; anything that is not a well-formed keyring is STORE_CORRUPT. */
export function parseKeyring(raw: string): KeyringFile {
  try {
    return keyringFile.parse(JSON.parse(raw));
  } catch {
    throw damagedKeyring();
  }
}

export function serializeKeyring(keyring: KeyringFile): string {
  return JSON.stringify(keyring, null, 2);
}

export function readKeyring(file: string): KeyringFile | null {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return parseKeyring(raw);
}

export function writeKeyring(file: string, keyring: KeyringFile): void {
  writeFileAtomic(file, serializeKeyring(keyring));
}

function aad(userId: string, params: KdfParams): Uint8Array {
  return new TextEncoder().encode(
    `enamel/keyring/v1/staff/${userId}/${params.opslimit}/${params.memlimit}`,
  );
}

function deriveWrappingKey(
  s: Sodium,
  password: string,
  salt: Uint8Array,
  params: KdfParams,
): Uint8Array {
  return s.crypto_pwhash(
    s.crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
    password.normalize('NFC'),
    salt,
    params.opslimit,
    params.memlimit,
    s.crypto_pwhash_ALG_ARGON2ID13,
  );
}

export async function storeKeyCheck(storeKey: Uint8Array, storeId: string): Promise<string> {
  const s = await loadSodium();
  return b64.encode(s.crypto_generichash(32, `enamel/store-key-check/${storeId}`, storeKey));
}

function wrapSecretKey(
  s: Sodium,
  userId: string,
  secretKey: Uint8Array,
  password: string,
  params: KdfParams,
): StaffKeyEntry['secretKey'] {
  const salt = s.randombytes_buf(s.crypto_pwhash_SALTBYTES);
  const nonce = s.randombytes_buf(s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const kek = deriveWrappingKey(s, password, salt, params);
  try {
    const ciphertext = s.crypto_aead_xchacha20poly1305_ietf_encrypt(
      secretKey,
      aad(userId, params),
      null,
      nonce,
      kek,
    );
    return {
      salt: b64.encode(salt),
      nonce: b64.encode(nonce),
      ciphertext: b64.encode(ciphertext),
      ...params,
    };
  } finally {
    wipe(kek);
  }
}

/** Makes a keyring entry for a staff member: a new key pair, its secret key wrapped under the password. */
export async function createStaffEntry(
  userId: string,
  username: string,
  password: string,
  storeKey: Uint8Array,
  params: KdfParams,
): Promise<StaffKeyEntry> {
  const s = await loadSodium();
  const pair = s.crypto_box_keypair();
  try {
    return {
      userId,
      username,
      publicKey: b64.encode(pair.publicKey),
      secretKey: wrapSecretKey(s, userId, pair.privateKey, password, params),
      sealedStoreKey: b64.encode(s.crypto_box_seal(storeKey, pair.publicKey)),
    };
  } finally {
    wipe(pair.privateKey);
  }
}

/**
 * A password change: the same key pair and sealed store key, the secret key wrapped again under
 * the new password with a fresh salt and nonce. No other entry and not the store key change.
 */
export async function rewrapStaffEntry(
  entry: StaffKeyEntry,
  secretKey: Uint8Array,
  newPassword: string,
  params: KdfParams,
): Promise<StaffKeyEntry> {
  const s = await loadSodium();
  return {
    ...entry,
    secretKey: wrapSecretKey(s, entry.userId, secretKey, newPassword, params),
  };
}

/** Seals a store key to a public key (a staff member's or the recovery key's). */
export async function sealStoreKey(storeKey: Uint8Array, publicKey: string): Promise<string> {
  const s = await loadSodium();
  return b64.encode(s.crypto_box_seal(storeKey, b64.decode(publicKey)));
}

const damagedEntry = () =>
  new AppError('STORE_CORRUPT', 'The keyring entry is damaged. Use the recovery key.');

/**
 * Unwraps a staff member's X25519 secret key with their password; null for a wrong password. For
 * an unknown user pass `entry: null`: the same Argon2id work is done, so neither the answer nor
 * its timing tells whether the username exists.
 */
export async function unwrapSecretKey(
  entry: StaffKeyEntry | null,
  password: string,
  fallbackParams: KdfParams,
): Promise<Uint8Array | null> {
  const s = await loadSodium();
  const params = entry
    ? { opslimit: entry.secretKey.opslimit, memlimit: entry.secretKey.memlimit }
    : fallbackParams;
  const salt = entry
    ? b64.decode(entry.secretKey.salt)
    : s.randombytes_buf(s.crypto_pwhash_SALTBYTES);
  let kek: Uint8Array;
  try {
    kek = deriveWrappingKey(s, password, salt, params);
  } catch {
    // Only an edited entry (a salt of the wrong length, parameters libsodium refuses) gets here.
    throw damagedEntry();
  }
  if (!entry) {
    wipe(kek);
    return null;
  }
  try {
    return s.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      b64.decode(entry.secretKey.ciphertext),
      aad(entry.userId, params),
      b64.decode(entry.secretKey.nonce),
      kek,
    );
  } catch {
    return null;
  } finally {
    wipe(kek);
  }
}

/** Opens the store key sealed in `entry` with the entry's unwrapped secret key. */
export async function openSealedStoreKey(
  entry: Pick<StaffKeyEntry, 'publicKey' | 'sealedStoreKey'>,
  secretKey: Uint8Array,
): Promise<Uint8Array> {
  const s = await loadSodium();
  try {
    return s.crypto_box_seal_open(
      b64.decode(entry.sealedStoreKey),
      b64.decode(entry.publicKey),
      secretKey,
    );
  } catch {
    throw damagedEntry();
  }
}

/**
 * Unwraps the store key with a staff password. Returns null for a wrong password. For an unknown
 * user, pass `entry: null`: the same Argon2id work is done so timing does not reveal usernames.
 */
export async function unlockWithPassword(
  entry: StaffKeyEntry | null,
  password: string,
  fallbackParams: KdfParams,
): Promise<Uint8Array | null> {
  const secretKey = await unwrapSecretKey(entry, password, fallbackParams);
  if (!secretKey || !entry) return null;
  try {
    return await openSealedStoreKey(entry, secretKey);
  } finally {
    wipe(secretKey);
  }
}

// Recovery keys: 32 random bytes shown as Crockford base32 in groups of four.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function formatRecoveryKey(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g)!.join('-');
}

export function parseRecoveryKey(text: string): Uint8Array | null {
  const clean = text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (clean.length !== 52) return null;
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return null;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out.length >= 32 ? new Uint8Array(out.slice(0, 32)) : null;
}

async function recoveryKeyPair(
  recoveryKey: Uint8Array,
): Promise<{ publicKey: Uint8Array; privateKey: Uint8Array }> {
  const s = await loadSodium();
  const seed = s.crypto_generichash(
    s.crypto_box_SEEDBYTES,
    recoveryKey,
    new TextEncoder().encode('enamel/recovery/v1'),
  );
  try {
    return s.crypto_box_seed_keypair(seed);
  } finally {
    wipe(seed);
  }
}

/** A new recovery key (to show once) and the public key the store key is sealed to. */
export async function newRecoveryKey(): Promise<{ recoveryKey: string; publicKey: string }> {
  const s = await loadSodium();
  const raw = s.randombytes_buf(32);
  const pair = await recoveryKeyPair(raw);
  try {
    return { recoveryKey: formatRecoveryKey(raw), publicKey: b64.encode(pair.publicKey) };
  } finally {
    wipe(raw, pair.privateKey);
  }
}

export async function createRecovery(
  storeKey: Uint8Array,
): Promise<{ recoveryKey: string; entry: KeyringFile['recovery'] }> {
  const { recoveryKey, publicKey } = await newRecoveryKey();
  return {
    recoveryKey,
    entry: { publicKey, sealedStoreKey: await sealStoreKey(storeKey, publicKey) },
  };
}

export async function unlockWithRecoveryKey(
  keyring: KeyringFile,
  recoveryKey: string,
): Promise<Uint8Array | null> {
  const s = await loadSodium();
  const raw = parseRecoveryKey(recoveryKey);
  if (!raw) return null;
  const pair = await recoveryKeyPair(raw);
  try {
    if (b64.encode(pair.publicKey) !== keyring.recovery.publicKey) return null;
    return s.crypto_box_seal_open(
      b64.decode(keyring.recovery.sealedStoreKey),
      pair.publicKey,
      pair.privateKey,
    );
  } catch {
    return null;
  } finally {
    wipe(raw, pair.privateKey);
  }
}
