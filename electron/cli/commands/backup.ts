import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import { wipe } from '../../core/crypto/sodium';
import { backupStore, openStore } from '../../core/db/store';
import { openCore, resolveDataDir, signIn, type Command } from '../context';
import { formatBytes } from '../progress';
import { parseOptions, requireOption } from '../usage';

const help = `Usage: enamel backup --out FILE [--user USERNAME]

Writes a consistent copy of the data file to FILE, encrypted under the same key (it opens only
with this clinic's keyring or its recovery key), then opens the copy to check it. Refuses to
overwrite an existing file. Practice managers only.

Options:
  --out FILE        Where to write the backup (must not exist yet)
  --user USERNAME   Staff account to sign in as (default: the only account)
  --data-dir DIR    Data folder (default: ENAMEL_DATA_DIR or your user data folder)
  -h, --help        Show this help

The password is read from ENAMEL_PASSWORD or standard input.`;

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Write an encrypted, checked copy of the data file',
  help,
  async run(args, ctx) {
    const o = parseOptions(args, { out: { type: 'string' }, user: { type: 'string' } });
    if (o.help) {
      ctx.out(help);
      return 0;
    }
    const target = path.resolve(requireOption(o.out, 'out'));
    if (fs.existsSync(target))
      throw new AppError('CONFLICT', 'The backup file already exists; choose another name.');
    if (!fs.existsSync(path.dirname(target)))
      throw new AppError('NOT_FOUND', 'The folder for the backup does not exist.');
    const dataDir = resolveDataDir(o['data-dir'], ctx.env);
    const core = openCore(dataDir, ctx.env);
    try {
      const session = await signIn(core, dataDir, o.user, ctx.env);
      if (session.role !== 'practice_manager')
        throw new AppError('NOT_ALLOWED', 'Only a practice manager can make backups.');
      const store = core.openStore;
      if (!store) throw new AppError('NOT_SIGNED_IN', 'Please sign in first.');
      backupStore(store.sqlite, target);
      try {
        fs.chmodSync(target, 0o600);
        checkBackup(target, store.keyCopy());
      } catch (e) {
        fs.rmSync(target, { force: true });
        throw e;
      }
      ctx.out(
        `Backup written to ${target} (${formatBytes(fs.statSync(target).size)}) and checked.`,
      );
      ctx.out("It opens only with this clinic's keyring or recovery key: keep those safe too.");
      return 0;
    } finally {
      await core.close();
    }
  },
};

/** The copy must be encrypted and open with the store key; otherwise it is removed. */
function checkBackup(file: string, key: Uint8Array): void {
  try {
    const header = Buffer.alloc(16);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, header, 0, 16, 0);
    } finally {
      fs.closeSync(fd);
    }
    if (header.equals(SQLITE_HEADER))
      throw new AppError('INTERNAL', 'The backup came out unencrypted, so it was deleted.');
    const db = openStore(file, key, { readonly: true, keyVerified: true });
    try {
      const result = db.pragma('quick_check', { simple: true });
      if (result !== 'ok')
        throw new AppError(
          'STORE_CORRUPT',
          'The backup did not pass its check, so it was deleted.',
        );
    } finally {
      db.close();
    }
  } finally {
    wipe(key);
  }
}
