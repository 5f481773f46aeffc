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

const wrapped = z.object({
  salt: z.string(),
  nonce: z.string(),
  ciphertext: z.string(),
  opslimit: z.number().int().positive(),
  memlimit: z.number().int().positive(),
});

const staffEntry = z.object({
  userId: z.string(),
  username: z.string(),
  publicKey: z.string(),
  secretKey: wrapped,
  sealedStoreKey: z.string(),
});

const keyringFile = z.object({
  format: z.literal('enamel-keyring'),
  version: z.literal(1),
  storeId: z.string(),
  /** Keyed BLAKE2b of the store id under the store key: tells a wrong key from a damaged file. */
  storeKeyCheck: z.string(),
  clinicName: z.string(),
  staff: z.array(staffEntry),
  recovery: z.object({ publicKey: z.string(), sealedStoreKey: z.string() }),
});

export type KeyringFile = z.infer<typeof keyringFile>;
export type StaffKeyEntry = z.infer<typeof staffEntry>;

export function readKeyring(file: string): KeyringFile | null {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    return keyringFile.parse(JSON.parse(raw));
  } catch {
    throw new AppError('STORE_CORRUPT', 'The keyring file is damaged. Restore it from a backup.');
  }
}

export function writeKeyring(file: string, keyring: KeyringFile): void {
  writeFileAtomic(file, JSON.stringify(keyring, null, 2));
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
  const salt = s.randombytes_buf(s.crypto_pwhash_SALTBYTES);
  const nonce = s.randombytes_buf(s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const kek = deriveWrappingKey(s, password, salt, params);
  try {
    const ciphertext = s.crypto_aead_xchacha20poly1305_ietf_encrypt(
      pair.privateKey,
      aad(userId, params),
      null,
      nonce,
      kek,
    );
    return {
      userId,
      username,
      publicKey: b64.encode(pair.publicKey),
      secretKey: {
        salt: b64.encode(salt),
        nonce: b64.encode(nonce),
        ciphertext: b64.encode(ciphertext),
        ...params,
      },
      sealedStoreKey: b64.encode(s.crypto_box_seal(storeKey, pair.publicKey)),
    };
  } finally {
    wipe(kek, pair.privateKey);
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
  const s = await loadSodium();
  const params = entry
    ? { opslimit: entry.secretKey.opslimit, memlimit: entry.secretKey.memlimit }
    : fallbackParams;
  const salt = entry
    ? b64.decode(entry.secretKey.salt)
    : s.randombytes_buf(s.crypto_pwhash_SALTBYTES);
  const kek = deriveWrappingKey(s, password, salt, params);
  if (!entry) {
    wipe(kek);
    return null;
  }
  let secretKey: Uint8Array;
  try {
    secretKey = s.crypto_aead_xchacha20poly1305_ietf_decrypt(
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
  try {
    return s.crypto_box_seal_open(
      b64.decode(entry.sealedStoreKey),
      b64.decode(entry.publicKey),
      secretKey,
    );
  } catch {
    throw new AppError('STORE_CORRUPT', 'The keyring entry is damaged. Use the recovery key.');
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

export async function createRecovery(
  storeKey: Uint8Array,
): Promise<{ recoveryKey: string; entry: KeyringFile['recovery'] }> {
  const s = await loadSodium();
  const raw = s.randombytes_buf(32);
  const pair = await recoveryKeyPair(raw);
  try {
    return {
      recoveryKey: formatRecoveryKey(raw),
      entry: {
        publicKey: b64.encode(pair.publicKey),
        sealedStoreKey: b64.encode(s.crypto_box_seal(storeKey, pair.publicKey)),
      },
    };
  } finally {
    wipe(raw, pair.privateKey);
  }
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
