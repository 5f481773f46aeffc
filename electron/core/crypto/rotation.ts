import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import { openStore, type SqliteDatabase } from '../db/store';
import type { KeyringFiles } from '../keyring-protector';
import { log } from '../log';
import { sealStoreKey, storeKeyCheck, type KeyringFile, type StaffKeyEntry } from './keyring';
import { loadSodium, wipe } from './sodium';

/**
 * Store key rotation, for when someone who held the key must lose it (a member of staff removed
 * or disabled, the recovery key replaced). A crash at any point leaves at least one way in for
 * every remaining member of staff and the recovery key, and none for the removed member:
 *
 *   0. keyring.json is rewritten without the removed entries (same store key), marked
 *      `rotationDue` so that a crash right after still leads to a rotation at the next sign-in.
 *   1. keyring.json.next is written: a new store key sealed to the remaining staff and recovery.
 *   2. The database is rekeyed, on a copy: the WAL is checkpointed into enamel.db, its bytes are
 *      copied to enamel.db.next, `PRAGMA rekey` runs on the copy (out of WAL mode), the copy is
 *      fsynced and renamed over enamel.db. The live file is therefore always whole and under
 *      exactly one of the two keys. (SQLite3MultipleCiphers' in-place rekey is not crash-safe: a
 *      kill while it writes pages leaves a hot journal that neither key opens. We saw that
 *      happen; the copy costs one plain file copy, no extra decryption.)
 *   3. keyring.json.next is renamed over keyring.json.
 *
 * On the next sign-in, if keyring.json.next exists, `completePendingRotation` tries the new key,
 * then the old one, and finishes the rotation (rekeys if needed, promotes the new keyring).
 *
 * What it costs (bench/staff.ts, `npm run bench -- --suite staff`): step 2 is the whole of it.
 * `PRAGMA rekey` reads, checks (HMAC-SHA512) and decrypts every page, then encrypts and signs it
 * again: 65-90 µs of CPU per 4 KiB page on the (shared, 2-core) bench machine, so the time grows
 * with the size of the file and little else. The keyring writes, the checkpoint, the copy, the
 * fsyncs, the swap and the reopen add about 5%. Measured and rejected: a larger page cache for the
 * rekey (no difference beyond noise); the in-place rekey in rollback-journal mode (every page also
 * goes to the journal, and it is not crash-safe); `VACUUM INTO` (this build takes no URI, so the
 * copy keeps the old key and would need the same rekey after); an sqlcipher_export-style copy into
 * an attached database under the new key (about 100 µs per page written, measured on the two
 * largest tables with their indexes, before search tables and triggers); and reading without the
 * HMAC check (it would re-sign tampered pages as good). The KDF settings play no part: the keys
 * are raw.
 */
export type RotationStep =
  | 'keyring-trimmed'
  | 'next-written'
  | 'copy-written'
  | 'copy-rekeyed'
  | 'database-swapped'
  | 'promoted';

export type StepHook = (step: RotationStep) => void;

const STORE_SUFFIXES = ['', '-journal', '-wal', '-shm'];

export function rekeyCopyPath(database: string): string {
  return `${database}.next`;
}

/** Removes a copy left by an interrupted rekey; the live file is never touched. */
export function removeRekeyCopy(database: string): void {
  for (const suffix of STORE_SUFFIXES) fs.rmSync(rekeyCopyPath(database) + suffix, { force: true });
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncFolder(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Windows cannot open folders; the rename is atomic there all the same.
  }
}

const hex = (key: Uint8Array) => Buffer.from(key).toString('hex');

export interface RekeyOptions {
  /** The store file (enamel.db). */
  file: string;
  oldKey: Uint8Array;
  newKey: Uint8Array;
  /**
   * The connection the app holds on `file`, if any: the copy is taken through it and it is closed
   * before the swap. Without it the store is opened (and closed) here.
   */
  open?: SqliteDatabase;
  onStep?: StepHook;
}

/**
 * Re-encrypts the store under `newKey` (phase 2 above). Synchronous from the snapshot to the
 * swap, so no write can slip in between; the caller must not hold a transaction open. On return
 * the file opens with `newKey` only, and `open` (if given) is closed.
 */
export function rekeyStore(options: RekeyOptions): void {
  const { file, oldKey, newKey, onStep } = options;
  if (newKey.length !== 32) throw new Error('Store keys are 32 bytes');
  const copy = rekeyCopyPath(file);
  removeRekeyCopy(file);
  const main = options.open ?? openStore(file, oldKey, { keyVerified: true });
  let swapped = false;
  try {
    // Fold the WAL into the file, then copy its bytes: a consistent snapshot under the old key
    // without decrypting anything (no other writer can run: the caller holds the store alone).
    const [checkpoint] = main.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (checkpoint && checkpoint.busy !== 0)
      throw new AppError('STORE_LOCKED', 'Another program has the data file open. Close it first.');
    // A clone where the file system can make one (APFS, Btrfs, XFS): the rekey below rewrites
    // every page anyway, so the byte copy is pure overhead (about 4% of a rotation on ext4).
    fs.copyFileSync(file, copy, fs.constants.COPYFILE_FICLONE);
    onStep?.('copy-written');

    const next = openStore(copy, oldKey, { keyVerified: true });
    try {
      // Rekeying refuses WAL. The copy needs no journal at all: if this is cut short the copy is
      // thrown away, and it is fsynced below before it can replace anything. That saves a pass.
      next.pragma('journal_mode=DELETE');
      next.pragma('journal_mode=OFF');
      next.pragma('synchronous=OFF');
      next.pragma(`cipher='sqlcipher'`);
      next.pragma('legacy=4');
      next.pragma(`rekey="x'${hex(newKey)}'"`);
    } finally {
      next.close();
    }
    fsyncFile(copy);
    onStep?.('copy-rekeyed');

    main.close();
    // With our connection closed nobody else should hold the file; a WAL left behind means
    // someone does, and its frames must never be replayed onto the new file.
    if (fs.existsSync(`${file}-wal`) && fs.statSync(`${file}-wal`).size > 0)
      throw new AppError('STORE_LOCKED', 'Another program has the data file open. Close it first.');
    for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
    fs.renameSync(copy, file);
    fsyncFolder(path.dirname(file));
    swapped = true;
    onStep?.('database-swapped');
  } finally {
    if (main.open) main.close();
    if (!swapped) removeRekeyCopy(file);
  }
}

/** The keyring for `storeKey`: every recipient sealed afresh, the check value recomputed. */
export async function resealKeyring(
  keyring: KeyringFile,
  storeKey: Uint8Array,
): Promise<KeyringFile> {
  const staff: StaffKeyEntry[] = [];
  for (const entry of keyring.staff)
    staff.push({ ...entry, sealedStoreKey: await sealStoreKey(storeKey, entry.publicKey) });
  const resealed: KeyringFile = {
    ...keyring,
    storeKeyCheck: await storeKeyCheck(storeKey, keyring.storeId),
    staff,
    recovery: {
      publicKey: keyring.recovery.publicKey,
      sealedStoreKey: await sealStoreKey(storeKey, keyring.recovery.publicKey),
    },
  };
  if (keyring.pendingRecovery) {
    resealed.pendingRecovery = {
      publicKey: keyring.pendingRecovery.publicKey,
      sealedStoreKey: await sealStoreKey(storeKey, keyring.pendingRecovery.publicKey),
    };
  }
  return resealed;
}

export interface RotationInput {
  files: KeyringFiles;
  database: string;
  /** keyring.json as it is now (under `oldKey`). */
  current: KeyringFile;
  /** User ids whose entries are dropped (phase 0); everyone else keeps access. */
  drop: readonly string[];
  /** A replacement recovery key to seal the new store key to as well (not yet shown). */
  pendingRecovery?: { publicKey: string };
  /** The open connection and its key; the connection is closed by the rotation. */
  sqlite: SqliteDatabase;
  oldKey: Uint8Array;
  onStep?: StepHook;
}

export interface RotationResult {
  /** The new store key; the caller wipes it. */
  key: Uint8Array;
  keyring: KeyringFile;
}

/**
 * Rotates the store key (phases 0 to 3 above). On a throw the files are left as they are, exactly
 * as after a crash: the caller closes the store and the next sign-in completes the rotation.
 */
export async function rotateStoreKey(input: RotationInput): Promise<RotationResult> {
  const { files, current, onStep } = input;
  const s = await loadSodium();
  const { rotationDue: _due, ...rest } = current;
  const trimmed: KeyringFile = {
    ...rest,
    staff: current.staff.filter((e) => !input.drop.includes(e.userId)),
  };
  if (input.drop.length > 0) {
    await files.write({ ...trimmed, rotationDue: true });
    onStep?.('keyring-trimmed');
  }
  const newKey = s.randombytes_buf(32);
  try {
    const base: KeyringFile = { ...trimmed };
    if (input.pendingRecovery)
      base.pendingRecovery = { publicKey: input.pendingRecovery.publicKey, sealedStoreKey: '' };
    const next = await resealKeyring(base, newKey);
    await files.writeNext(next);
    onStep?.('next-written');
    rekeyStore({
      file: input.database,
      oldKey: input.oldKey,
      newKey,
      open: input.sqlite,
      ...(onStep ? { onStep } : {}),
    });
    files.promoteNext();
    onStep?.('promoted');
    return { key: newKey, keyring: next };
  } catch (e) {
    wipe(newKey);
    throw e;
  }
}

function opensWith(database: string, key: Uint8Array): boolean {
  try {
    openStore(database, key).close();
    return true;
  } catch (e) {
    if (e instanceof AppError && e.code === 'STORE_WRONG_KEY') return false;
    throw e;
  }
}

export interface KeyCandidate {
  keyring: KeyringFile;
  /** The store key this person's entry (or the recovery key) unsealed from that keyring. */
  key: Uint8Array | null;
}

/**
 * Sign-in while keyring.json.next exists: a rotation was interrupted. Finds which key opens the
 * store, finishes the rotation (rekeying if the crash came before the swap) and promotes the new
 * keyring. Returns the key and keyring to open the store with. Keys are the caller's to wipe.
 */
export function completePendingRotation(
  files: KeyringFiles,
  database: string,
  current: KeyCandidate,
  next: KeyCandidate,
): KeyCandidate & { key: Uint8Array } {
  removeRekeyCopy(database);
  if (next.key && opensWith(database, next.key)) {
    files.promoteNext();
    log.info('key rotation completed at sign-in', { phase: 'promote' });
    return { keyring: next.keyring, key: next.key };
  }
  if (current.key && opensWith(database, current.key)) {
    if (!next.key) {
      // Only an edited keyring gets here (both files always name the same staff): leave the
      // rotation for someone who is in the new keyring.
      log.warn('key rotation pending; this entry is not in the new keyring', {});
      return { keyring: current.keyring, key: current.key };
    }
    rekeyStore({ file: database, oldKey: current.key, newKey: next.key });
    files.promoteNext();
    log.info('key rotation completed at sign-in', { phase: 'rekey' });
    return { keyring: next.keyring, key: next.key };
  }
  throw new AppError(
    'STORE_WRONG_KEY',
    'The data file could not be opened with this key. It has not been changed.',
  );
}
