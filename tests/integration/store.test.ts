import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { Core } from '../../electron/core/core';
import {
  backupStore,
  checkIntegrity,
  mapStoreError,
  openStore,
  type SqliteDatabase,
} from '../../electron/core/db/store';
import { AppError, ERROR_CODES, type Result } from '../../shared/errors';
import { ADMIN, patientInput, setUpCore, tempDir, TEST_KDF } from '../support/core';

// Long, distinctive strings that cannot occur in ciphertext or SQLite's own structures by chance.
const FAMILY = 'Xylophonewicz';
const GIVEN = 'Quillanberta';
const NOTE = 'Marzipantaxonomy';
const EMAIL_LOCAL = 'xylophonewicz.quillanberta';
// Every patient's number starts 07400 1234..: E.164 digits, national digits and typed form.
const PHONE_NEEDLES = ['4474001234', '074001234', '07400 1234'];

const cores: Core[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.close();
});

function sha256(file: string): string {
  return fs.existsSync(file)
    ? crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
    : 'absent';
}

/** Hashes of the data file and its WAL, which a failed open must leave exactly as they were. */
function fingerprint(dbFile: string): { db: string; wal: string } {
  return { db: sha256(dbFile), wal: sha256(`${dbFile}-wal`) };
}

function codeOf(e: unknown): string {
  return e instanceof AppError ? e.code : `untyped ${(e as Error)?.name}: ${(e as Error)?.message}`;
}

async function storeWithPatients(count: number) {
  const { core, dir, recoveryKey } = await setUpCore();
  cores.push(core);
  for (let i = 0; i < count; i++) {
    await core.call('patients.create', {
      patient: patientInput({
        familyName: `${FAMILY}${String.fromCharCode(97 + (i % 26))}`,
        givenNames: `${GIVEN} ${i}`,
        email: `${EMAIL_LOCAL}${i}@example.org`,
        phones: [{ number: `07400 ${123400 + i}`, type: 'mobile', preferred: true }],
        notes: `${NOTE} ${i}: takes warfarin`,
      }),
      duplicatesReviewed: true,
    });
  }
  const key = core.openStore!.keyCopy();
  return { core, dir, key, recoveryKey, dbFile: core.paths.database };
}

const NEEDLES = [
  FAMILY,
  FAMILY.toLowerCase(),
  GIVEN,
  GIVEN.toLowerCase(),
  NOTE,
  EMAIL_LOCAL,
  'warfarin',
  ...PHONE_NEEDLES,
];

function needlesIn(bytes: Buffer): string[] {
  return NEEDLES.filter((n) => bytes.includes(Buffer.from(n, 'utf8')));
}

/**
 * Opens a store as the app would and reads everything in it: every row of every table, then the
 * full integrity check. Returns the first typed error code, or 'ok'.
 */
function probe(file: string, key: Uint8Array): string {
  let db: SqliteDatabase;
  try {
    db = openStore(file, key, { keyVerified: true });
  } catch (e) {
    return codeOf(e);
  }
  try {
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
      .all() as Array<{ name: string }>;
    for (const t of tables) db.prepare(`SELECT * FROM "${t.name}"`).all();
    return checkIntegrity(db).length > 0 ? 'STORE_CORRUPT' : 'ok';
  } catch (e) {
    return codeOf(mapStoreError(e));
  } finally {
    db.close();
  }
}

function login(core: Core): Promise<Result<unknown>> {
  return core.dispatch('session.login', { username: ADMIN.username, password: ADMIN.password });
}

describe('encrypted store at rest', () => {
  it('keeps names, phone numbers, emails and notes out of the data file and its WAL', async () => {
    const { core, dbFile } = await storeWithPatients(40);
    const wal = `${dbFile}-wal`;
    // While the store is open, recent writes live in the WAL: it must be there to be checked.
    expect(fs.existsSync(wal)).toBe(true);
    expect(fs.statSync(wal).size).toBeGreaterThan(0);
    expect(needlesIn(fs.readFileSync(dbFile))).toEqual([]);
    expect(needlesIn(fs.readFileSync(wal))).toEqual([]);
    for (const f of fs.readdirSync(path.dirname(dbFile)))
      expect(needlesIn(fs.readFileSync(path.join(path.dirname(dbFile), f))), f).toEqual([]);

    // After the checkpoint at close everything is in the main file: still nothing readable.
    await core.close();
    expect(fs.existsSync(wal)).toBe(false);
    expect(needlesIn(fs.readFileSync(dbFile))).toEqual([]);
    expect(fs.readFileSync(dbFile).subarray(0, 16).toString('latin1')).not.toBe(
      'SQLite format 3\0',
    );
  });

  it('would find the same strings in an unencrypted file (the search above is meaningful)', () => {
    const dir = tempDir();
    const file = path.join(dir, 'plain.db');
    const db = new Database(file);
    db.exec('CREATE TABLE t (name TEXT, phone TEXT, note TEXT)');
    db.prepare('INSERT INTO t VALUES (?, ?, ?)').run(
      `${FAMILY}a, ${GIVEN} 1 (${EMAIL_LOCAL}1@example.org)`,
      '+447400123401 07400123401 07400 123401',
      `${NOTE} 1: takes warfarin`,
    );
    db.close();
    expect(needlesIn(fs.readFileSync(file))).toEqual(NEEDLES);
  });

  it('keeps backups encrypted under the same key', async () => {
    const { core, dir, key } = await storeWithPatients(5);
    const backup = path.join(dir, 'backup.db');
    backupStore(core.openStore!.sqlite, backup);
    expect(needlesIn(fs.readFileSync(backup))).toEqual([]);
    expect(() => backupStore(core.openStore!.sqlite, backup)).toThrow(AppError);
    const copy = openStore(backup, key);
    try {
      expect(copy.prepare('SELECT count(*) AS n FROM patient').get()).toEqual({ n: 5 });
    } finally {
      copy.close();
    }
  });

  it.runIf(process.platform !== 'win32')(
    'keeps the data file, its WAL and its backups readable by their owner only',
    async () => {
      const { core, dbFile, dir } = await storeWithPatients(2);
      const modeOf = (f: string) => fs.statSync(f).mode & 0o777;
      expect(modeOf(dbFile)).toBe(0o600);
      expect(modeOf(`${dbFile}-wal`)).toBe(0o600);
      expect(modeOf(path.dirname(dbFile)) & 0o077).toBe(0);
      const backup = path.join(dir, 'owner-only-backup.db');
      backupStore(core.openStore!.sqlite, backup);
      expect(modeOf(backup)).toBe(0o600);
    },
  );

  it('passes the integrity check when healthy', async () => {
    const { core } = await storeWithPatients(3);
    expect(checkIntegrity(core.openStore!.sqlite)).toEqual([]);
  });
});

describe('opening a store refuses what it should not read, and changes nothing', () => {
  it('reports a wrong key as STORE_WRONG_KEY and leaves the file and WAL byte-for-byte', async () => {
    const { core, dbFile, key } = await storeWithPatients(10);
    // A copy taken while the store is open, as after a crash: data file plus a live WAL.
    const crashDir = tempDir();
    const crashed = path.join(crashDir, 'enamel.db');
    fs.copyFileSync(dbFile, crashed);
    fs.copyFileSync(`${dbFile}-wal`, `${crashed}-wal`);
    await core.close();

    const wrong = crypto.randomBytes(32);
    for (const file of [dbFile, crashed]) {
      const before = fingerprint(file);
      let error: unknown = null;
      try {
        openStore(file, wrong).close();
      } catch (e) {
        error = e;
      }
      expect(codeOf(error), file).toBe('STORE_WRONG_KEY');
      expect(fingerprint(file), file).toEqual(before);
      // A second try with a wrong key does not change anything either.
      expect(() => openStore(file, wrong, { readonly: true })).toThrow(AppError);
      expect(fingerprint(file), file).toEqual(before);
    }
    expect(fingerprint(crashed).wal).not.toBe('absent');

    // The right key still opens both, with every patient (the WAL was not damaged).
    for (const file of [dbFile, crashed]) {
      const db = openStore(file, key);
      try {
        expect(db.prepare('SELECT count(*) AS n FROM patient').get(), file).toEqual({ n: 10 });
      } finally {
        db.close();
      }
    }
  });

  it('refuses a plaintext SQLite file with STORE_NOT_ENCRYPTED', async () => {
    const { core, dbFile, key } = await storeWithPatients(1);
    await core.close();
    fs.rmSync(dbFile);
    const plain = new Database(dbFile);
    plain.exec(`CREATE TABLE patient (id TEXT); INSERT INTO patient VALUES ('planted')`);
    plain.close();
    const before = fingerprint(dbFile);
    expect(() => openStore(dbFile, key)).toThrow(
      expect.objectContaining({ code: 'STORE_NOT_ENCRYPTED' }),
    );
    expect(fingerprint(dbFile)).toEqual(before);

    // Through the Core: the sign-in answers with the typed error, and nothing is opened.
    const again = new Core({ dataDir: path.dirname(dbFile), kdf: TEST_KDF });
    cores.push(again);
    const result = await login(again);
    expect(result).toMatchObject({ ok: false, error: { code: 'STORE_NOT_ENCRYPTED' } });
    expect(again.currentSession).toBeNull();
    expect(fingerprint(dbFile)).toEqual(before);
  });

  it.each([
    ['chacha20', []],
    ['aes256cbc', []],
    ['aes128cbc', []],
    ['ascon128', []],
    ['sqlcipher', ['legacy=4', 'hmac_use=0']],
    ['sqlcipher', ['legacy=3']],
  ] as const)('refuses a store written with cipher %s %j under the same key', (cipher, extra) => {
    const dir = tempDir();
    const file = path.join(dir, 'other.db');
    const key = crypto.randomBytes(32);
    const db = new Database(file);
    db.pragma(`cipher='${cipher}'`);
    for (const pragma of extra) db.pragma(pragma);
    db.pragma(`key="x'${key.toString('hex')}'"`);
    db.exec(`CREATE TABLE patient (id TEXT, name TEXT)`);
    const insert = db.prepare('INSERT INTO patient VALUES (?, ?)');
    for (let i = 0; i < 200; i++) insert.run(String(i), `${FAMILY} ${i}`);
    db.close();
    const before = fingerprint(file);
    for (const keyVerified of [false, true]) {
      let error: unknown = null;
      try {
        openStore(file, key, { keyVerified }).close();
      } catch (e) {
        error = e;
      }
      expect(['STORE_WRONG_KEY', 'STORE_CORRUPT']).toContain(codeOf(error));
      expect(fingerprint(file)).toEqual(before);
    }
  });

  it.each([
    ['empty', () => 0],
    ['mid first page', () => 100],
    ['first page only', () => 4096],
    ['two pages', () => 8192],
    ['half the pages', (size: number) => Math.floor(size / 4096 / 2) * 4096],
    ['all but the last page', (size: number) => size - 4096],
    ['one byte short', (size: number) => size - 1],
  ])('reports a file truncated to %s as STORE_CORRUPT', async (_label, length) => {
    const { core, dbFile, key } = await storeWithPatients(30);
    await core.close();
    const full = fs.readFileSync(dbFile);
    fs.writeFileSync(dbFile, full.subarray(0, length(full.length)));
    const before = fingerprint(dbFile);
    expect(probe(dbFile, key)).toBe('STORE_CORRUPT');
    expect(fingerprint(dbFile)).toEqual(before);

    const again = new Core({ dataDir: path.dirname(dbFile), kdf: TEST_KDF });
    cores.push(again);
    const result = await login(again);
    if (!result.ok) expect(result.error.code).toBe('STORE_CORRUPT');
    else expect(checkIntegrity(again.openStore!.sqlite)).not.toEqual([]);
    await again.close();
    expect(fingerprint(dbFile)).toEqual(before);
  });

  it('detects one flipped bit in a page in the middle of the file, and changes nothing', async () => {
    const { core, dbFile, key } = await storeWithPatients(30);
    await core.close();
    const pristine = fs.readFileSync(dbFile);
    const pages = pristine.length / 4096;
    expect(pages).toBeGreaterThan(8);
    const damaged = Buffer.from(pristine);
    const middle = Math.floor(pages / 2);
    damaged[middle * 4096 + 1234]! ^= 0x10;
    fs.writeFileSync(dbFile, damaged);
    const before = fingerprint(dbFile);
    expect(probe(dbFile, key)).toBe('STORE_CORRUPT');
    expect(fingerprint(dbFile)).toEqual(before);
  });
});

describe('signing in to a tampered store through the Core', () => {
  /** Everything a signed-in user can read, as plain data, to compare with the untouched store. */
  async function readEverything(core: Core): Promise<Array<Result<unknown>>> {
    const results: Array<Result<unknown>> = [];
    const list = await core.dispatch('patients.list', {
      offset: 0,
      limit: 500,
      includeArchived: true,
    });
    results.push(list);
    results.push(await core.dispatch('patients.search', { query: FAMILY.slice(0, 5) }));
    results.push(await core.dispatch('patients.search', { query: '07400 1234' }));
    if (list.ok) {
      for (const item of (list.value as { items: Array<{ id: string }> }).items) {
        results.push(await core.dispatch('patients.get', { id: item.id }));
        results.push(await core.dispatch('patients.history', { id: item.id }));
      }
    }
    return results;
  }

  it('answers every flipped page with a typed error and never with wrong data', async () => {
    const { core, dbFile } = await storeWithPatients(12);
    const truth = await readEverything(core);
    expect(truth.every((r) => r.ok)).toBe(true);
    await core.close();
    const pristine = fs.readFileSync(dbFile);
    const pages = pristine.length / 4096;
    const undetected: number[] = [];
    for (let page = 0; page < pages; page++) {
      const damaged = Buffer.from(pristine);
      // Vary the spot inside the page: salt, payload, and the IV/HMAC reserve at the end.
      const offset = page * 4096 + ((page * 997 + 7) % 4096);
      damaged[offset]! ^= 1 << (page % 8);
      fs.writeFileSync(dbFile, damaged);
      const before = fingerprint(dbFile);

      const c = new Core({ dataDir: path.dirname(dbFile), kdf: TEST_KDF });
      cores.push(c);
      const signIn = await login(c);
      let detected = false;
      if (!signIn.ok) {
        expect(signIn.error.code, `page ${page}`).toBe('STORE_CORRUPT');
        expect(c.currentSession).toBeNull();
        detected = true;
      } else {
        const reads = await readEverything(c);
        for (const [i, r] of reads.entries()) {
          if (r.ok) expect(r, `page ${page}, read ${i}`).toEqual(truth[i]);
          else {
            expect(r.error.code, `page ${page}, read ${i}`).toBe('STORE_CORRUPT');
            detected = true;
          }
        }
        if (checkIntegrity(c.openStore!.sqlite).length > 0) detected = true;
      }
      await c.close();
      if (!detected) undetected.push(page);
      // A refused sign-in writes nothing. Once signed in, reads of patient data are audited, so
      // the file may legitimately change (new audit events); wrong data is what must never happen.
      if (!signIn.ok) expect(fingerprint(dbFile), `page ${page}`).toEqual(before);
    }
    expect(undetected).toEqual([]);
  });

  it('answers a store from another clinic with a typed error', async () => {
    const a = await storeWithPatients(1);
    const b = await storeWithPatients(1);
    await a.core.close();
    await b.core.close();
    // Clinic B's keyring next to clinic A's data file: B's key unlocks, but not this file.
    fs.copyFileSync(path.join(b.dir, 'keyring.json'), path.join(a.dir, 'keyring.json'));
    const before = fingerprint(a.dbFile);
    const c = new Core({ dataDir: a.dir, kdf: TEST_KDF });
    cores.push(c);
    const result = await login(c);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(ERROR_CODES).toContain(result.error.code);
      expect(['STORE_WRONG_KEY', 'STORE_CORRUPT']).toContain(result.error.code);
    }
    expect(fingerprint(a.dbFile)).toEqual(before);
  });
});
