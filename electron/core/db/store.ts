import fs from 'node:fs';
import Database from 'better-sqlite3-multiple-ciphers';
import { AppError } from '../../../shared/errors';
import { corrupt, notEncrypted, wrongKey } from '../errors';

export type SqliteDatabase = Database.Database;

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Applies the cipher configuration and the raw 256-bit key. SQLCipher v4 format: AES-256 with a
 * per-page HMAC, so a flipped bit is detected rather than read back as data. The raw key skips the
 * passphrase KDF (the key is already random).
 */
function applyKey(db: SqliteDatabase, key: Uint8Array): void {
  if (key.length !== 32) throw new Error('Store keys are 32 bytes');
  db.pragma(`cipher='sqlcipher'`);
  db.pragma('legacy=4');
  db.pragma(`key="x'${Buffer.from(key).toString('hex')}'"`);
}

function applyPragmas(db: SqliteDatabase): void {
  db.pragma('journal_mode=WAL');
  db.pragma('synchronous=NORMAL');
  db.pragma('foreign_keys=ON');
  db.pragma('secure_delete=ON');
  db.pragma('trusted_schema=OFF');
  db.pragma('busy_timeout=5000');
  // 64 MiB of decrypted pages: every page read from the file is decrypted and its HMAC checked,
  // so a cache smaller than what type-ahead and record opening touch (about 60 MiB at 100,000
  // patients) turns each of their lookups into decryptions. Pages are only taken when used.
  db.pragma('cache_size=-65536');
}

function isSqliteError(e: unknown, ...codes: string[]): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && codes.some((c) => code.startsWith(c));
}

/**
 * Maps SQLite's errors about unreadable pages to a typed error, also when wrapped as the `cause`
 * of another error (migrations wrap theirs); other errors pass through.
 */
export function mapStoreError(e: unknown): unknown {
  for (let cause = e, depth = 0; cause && depth < 5; depth++) {
    if (isSqliteError(cause, 'SQLITE_NOTADB', 'SQLITE_CORRUPT'))
      return corrupt('a page failed its integrity check');
    cause = (cause as { cause?: unknown }).cause;
  }
  return e;
}

export interface OpenOptions {
  /** Tells a wrong key from a damaged first page: true when the key is known to be right. */
  keyVerified?: boolean;
  readonly?: boolean;
}

/**
 * Opens an existing encrypted store. Refuses a plaintext SQLite file; a wrong key is a typed error
 * and nothing is written to the file (the key is checked before any pragma that writes).
 */
export function openStore(
  file: string,
  key: Uint8Array,
  options: OpenOptions = {},
): SqliteDatabase {
  let header: Buffer;
  let size: number;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      header = Buffer.alloc(16);
      fs.readSync(fd, header, 0, 16, 0);
      size = fs.fstatSync(fd).size;
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new AppError('NOT_SET_UP', 'No data file was found.');
    throw e;
  }
  if (header.equals(SQLITE_HEADER)) throw notEncrypted();
  if (size === 0 || size % 4096 !== 0) throw corrupt('the file is truncated');

  const db = new Database(file, { fileMustExist: true, readonly: options.readonly ?? false });
  try {
    applyKey(db, key);
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (e) {
    db.close();
    if (isSqliteError(e, 'SQLITE_NOTADB', 'SQLITE_CORRUPT'))
      throw options.keyVerified ? corrupt('the first page') : wrongKey();
    throw e;
  }
  if (!options.readonly) applyPragmas(db);
  return db;
}

/** Creates a new, empty encrypted store. Fails if the file exists. */
export function createStore(file: string, key: Uint8Array): SqliteDatabase {
  if (fs.existsSync(file)) throw new AppError('ALREADY_SET_UP', 'A data file already exists here.');
  createOwnerOnly(file);
  const db = new Database(file);
  applyKey(db, key);
  applyPragmas(db);
  return db;
}

/** A consistent encrypted copy under the same key (`db.backup()` cannot copy keyed databases). */
export function backupStore(db: SqliteDatabase, target: string): void {
  if (fs.existsSync(target))
    throw new AppError('CONFLICT', 'The backup file already exists; choose another name.');
  createOwnerOnly(target);
  try {
    db.prepare('VACUUM INTO ?').run(target);
  } catch (e) {
    fs.rmSync(target, { force: true });
    throw e;
  }
}

/**
 * Creates an empty file readable by its owner only. SQLite would create it with the process's
 * umask (usually world-readable) and gives its -wal and -shm files the same mode; ciphertext
 * still tells an onlooker its size and when it changes. An empty file is an empty database.
 */
function createOwnerOnly(file: string): void {
  fs.closeSync(fs.openSync(file, 'wx', 0o600));
}

/** Full check: every page is decrypted and its HMAC checked, then SQLite's own integrity check. */
export function checkIntegrity(db: SqliteDatabase): string[] {
  try {
    const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    const fk = db.pragma('foreign_key_check') as unknown[];
    if (fk.length > 0) problems.push(`${fk.length} broken reference(s) between records`);
    return problems;
  } catch (e) {
    if (isSqliteError(e, 'SQLITE_NOTADB', 'SQLITE_CORRUPT'))
      return ['a page failed its integrity check (damaged or tampered)'];
    throw e;
  }
}
