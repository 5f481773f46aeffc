import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import {
  DEFAULT_KDF,
  openSealedStoreKey,
  storeKeyCheck,
  unwrapSecretKey,
  type KeyringFile,
} from '../../core/crypto/keyring';
import { wipe } from '../../core/crypto/sodium';
import { openStore } from '../../core/db/store';
import { integrityProblems } from '../checks';
import { KeyringFiles } from '../../core/keyring-protector';
import { storePaths, type StorePaths } from '../../core/paths';
import { OpenStore } from '../../core/store-session';
import { chooseUser, notSetUp, resolveDataDir, type Command } from '../context';
import { kdfFromEnvironment } from '../kdf';
import { readPassword } from '../password';
import { formatBytes } from '../progress';
import { parseOptions, requireOption } from '../usage';

const help = `Usage: enamel restore --from FILE [--user USERNAME]

Replaces the data file with a backup made by "enamel backup". The backup must open with this
clinic's key (a backup of another clinic, or keyed differently, is refused and nothing changes)
and pass a full integrity check first. The current data file is kept as
enamel.db.before-restore-<time> until the restored one has been opened and checked, and removed
after. Practice managers only. Close Enamel on this computer first.

Options:
  --from FILE       The backup to restore
  --user USERNAME   Staff account whose password unlocks the key (default: the only account)
  --data-dir DIR    Data folder (default: ENAMEL_DATA_DIR or your user data folder)
  -h, --help        Show this help

The password is read from ENAMEL_PASSWORD or standard input.`;

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Replace the data file with a backup (checked first)',
  help,
  async run(args, ctx) {
    const o = parseOptions(args, { from: { type: 'string' }, user: { type: 'string' } });
    if (o.help) {
      ctx.out(help);
      return 0;
    }
    const source = path.resolve(requireOption(o.from, 'from'));
    const dataDir = resolveDataDir(o['data-dir'], ctx.env);
    const paths = storePaths(dataDir);
    if (!fs.existsSync(source)) throw new AppError('NOT_FOUND', 'The backup file was not found.');
    if (fs.existsSync(paths.database) && sameFile(source, paths.database))
      throw new AppError('CONFLICT', 'That is the data file itself, not a backup of it.');
    const files = new KeyringFiles(paths.keyring);
    const loaded = await files.read();
    if (!loaded) throw notSetUp();
    if (loaded.staffUnavailable)
      throw new AppError(
        'STORE_LOCKED',
        "Staff passwords here are locked to the computer's keystore: restore from the Enamel app.",
      );
    if (files.hasNext())
      throw new AppError(
        'CONFLICT',
        'A change of keys was interrupted. Sign in to Enamel once to finish it, then restore.',
      );
    const username = await chooseUser(dataDir, o.user);
    const password = await readPassword(`Password for ${username}`, { env: ctx.env });
    const { key, userId } = await unlockStoreKey(loaded.keyring, username, password, ctx.env);
    try {
      checkBackup(source, key, loaded.keyring, userId);
      const keptAs = await replaceStore(paths, source, key, loaded.keyring);
      ctx.out(`Restored ${source} (${formatBytes(fs.statSync(paths.database).size)}).`);
      ctx.out(
        keptAs
          ? 'The restored data file opened and passed its checks; the previous one was removed.'
          : 'The restored data file opened and passed its checks.',
      );
      return 0;
    } finally {
      wipe(key);
    }
  },
};

function sameFile(a: string, b: string): boolean {
  const sa = fs.statSync(a);
  const sb = fs.statSync(b);
  return sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * The store key, unwrapped from keyring.json with a staff password, without opening the current
 * data file (which may be the damaged one being replaced).
 */
async function unlockStoreKey(
  keyring: KeyringFile,
  username: string,
  password: string,
  env: NodeJS.ProcessEnv,
): Promise<{ key: Uint8Array; userId: string }> {
  const entry = keyring.staff.find((e) => e.username === username) ?? null;
  const secretKey = await unwrapSecretKey(entry, password, kdfFromEnvironment(env) ?? DEFAULT_KDF);
  if (!secretKey || !entry)
    throw new AppError('WRONG_CREDENTIALS', 'The username or password is not right.');
  try {
    const key = await openSealedStoreKey(entry, secretKey);
    if ((await storeKeyCheck(key, keyring.storeId)) !== keyring.storeKeyCheck) {
      wipe(key);
      throw new AppError('STORE_CORRUPT', 'The keyring does not match its data file.');
    }
    return { key, userId: entry.userId };
  } finally {
    wipe(secretKey);
  }
}

/** Opens the backup read-only with the clinic's key and checks it before anything is touched. */
function checkBackup(file: string, key: Uint8Array, keyring: KeyringFile, userId: string): void {
  let db;
  try {
    db = openStore(file, key, { readonly: true });
  } catch (e) {
    if (e instanceof AppError && e.code === 'STORE_WRONG_KEY')
      throw new AppError(
        'STORE_WRONG_KEY',
        "The backup does not open with this clinic's key, so it was not restored. The current data file has not been changed.",
      );
    if (e instanceof AppError && (e.code === 'STORE_NOT_ENCRYPTED' || e.code === 'STORE_CORRUPT'))
      throw new AppError(
        e.code,
        `${e.message.replace(/ Restore it from a backup\.$/, '')} It was not restored; the current data file has not been changed.`,
      );
    throw e;
  }
  try {
    const problems = integrityProblems(db);
    if (problems.length > 0)
      throw new AppError(
        'STORE_CORRUPT',
        `The backup is damaged (${problems[0]}), so it was not restored. The current data file has not been changed.`,
      );
    const storeId = db.prepare(`SELECT value FROM meta WHERE key = 'store_id'`).pluck().get();
    if (storeId !== keyring.storeId)
      throw new AppError(
        'CONFLICT',
        'The backup belongs to another data file, so it was not restored. The current data file has not been changed.',
      );
    // Whoever restores must be an active practice manager in the data being restored.
    const staff = db
      .prepare('SELECT role, status FROM staff WHERE id = ? AND deleted = 0')
      .get(userId) as { role: string; status: string } | undefined;
    if (staff?.role !== 'practice_manager' || staff.status !== 'active')
      throw new AppError('NOT_ALLOWED', 'Only a practice manager can restore a backup.');
  } finally {
    db.close();
  }
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/**
 * Puts a copy of the backup in place of the data file. The copy is written and flushed next to
 * the data file first; the old file is kept (hard-linked, or renamed where links are not
 * supported) as enamel.db.before-restore-<time> with its write-ahead log; the copy then replaces
 * the data file in one rename. The result is opened and checked with the clinic's keyring; on
 * failure the old file is put back. Returns whether an old file was replaced.
 */
async function replaceStore(
  paths: StorePaths,
  source: string,
  key: Uint8Array,
  keyring: KeyringFile,
): Promise<boolean> {
  const live = paths.database;
  const incoming = `${live}.restoring-${stamp()}`;
  fs.copyFileSync(source, incoming, fs.constants.COPYFILE_EXCL);
  fs.chmodSync(incoming, 0o600);
  flush(incoming);
  const had = fs.existsSync(live);
  const kept = `${live}.before-restore-${stamp()}`;
  try {
    if (had) {
      checkpoint(live, key);
      try {
        fs.linkSync(live, kept);
      } catch {
        fs.renameSync(live, kept);
      }
      // A log left next to the new file would be replayed into it: it goes with the old file.
      if (fs.existsSync(`${live}-wal`)) fs.renameSync(`${live}-wal`, `${kept}-wal`);
      fs.rmSync(`${live}-shm`, { force: true });
    }
    fs.renameSync(incoming, live);
    flushFolder(live);
  } catch (e) {
    fs.rmSync(incoming, { force: true });
    if (had) putBack(live, kept);
    throw e;
  }
  try {
    const store = await OpenStore.open(live, key, keyring, Date.now);
    try {
      const problems = integrityProblems(store.sqlite);
      if (problems.length > 0)
        throw new AppError(
          'STORE_CORRUPT',
          `The restored data file failed its check (${problems[0]}).`,
        );
    } finally {
      await store.close();
    }
  } catch (e) {
    if (had) putBack(live, kept);
    throw e;
  }
  if (had) for (const suffix of ['', '-wal', '-shm']) fs.rmSync(kept + suffix, { force: true });
  return had;
}

/** Moves what a write-ahead log holds into the data file, when the file still opens. */
function checkpoint(file: string, key: Uint8Array): void {
  if (!fs.existsSync(`${file}-wal`)) return;
  try {
    const db = openStore(file, key, { keyVerified: true });
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
  } catch {
    // A damaged file is what restores are for: its log is kept beside it instead.
  }
}

function putBack(live: string, kept: string): void {
  for (const suffix of ['-wal', '-shm']) fs.rmSync(live + suffix, { force: true });
  // Still two names for the old file (the swap never happened): drop the extra one.
  if (fs.existsSync(kept) && fs.existsSync(live) && sameFile(kept, live)) fs.rmSync(kept);
  else if (fs.existsSync(kept)) fs.renameSync(kept, live);
  if (fs.existsSync(`${kept}-wal`)) fs.renameSync(`${kept}-wal`, `${live}-wal`);
}

function flush(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function flushFolder(file: string): void {
  try {
    const fd = fs.openSync(path.dirname(file), 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Windows cannot open folders; the rename is durable there all the same.
  }
}
