import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { Core } from '../../electron/core/core';
import { writeFileAtomic } from '../../electron/core/crypto/atomic-file';
import {
  createStaffEntry,
  DEFAULT_KDF,
  storeKeyCheck,
  unlockWithPassword,
  type KeyringFile,
} from '../../electron/core/crypto/keyring';
import { b64, loadSodium } from '../../electron/core/crypto/sodium';
import type { Result } from '../../shared/errors';
import { ADMIN, patientInput, setUpCore, tempDir, TEST_KDF } from '../support/core';

const NEW_PASSWORD = 'plum orchard lantern velvet';
const RECEPTION = { username: 'reception', password: 'teapot glacier mosaic ribbon' };

const cores: Core[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.close();
});

function sha256(file: string): string {
  return fs.existsSync(file)
    ? crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
    : 'absent';
}

async function clinic() {
  const setup = await setUpCore();
  cores.push(setup.core);
  return setup;
}

function readJson(core: Core): KeyringFile {
  return JSON.parse(fs.readFileSync(core.paths.keyring, 'utf8')) as KeyringFile;
}

function writeJson(core: Core, keyring: unknown): void {
  fs.writeFileSync(core.paths.keyring, JSON.stringify(keyring, null, 2));
}

const login = (core: Core, username = ADMIN.username, password = ADMIN.password) =>
  core.dispatch('session.login', { username, password });

function flipFirstByte(base64: string): string {
  const bytes = b64.decode(base64);
  bytes[0]! ^= 1;
  return b64.encode(bytes);
}

/** Files a data folder should hold; anything else (a temp file) is left-over. */
function strayFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => !['enamel.db', 'enamel.db-wal', 'enamel.db-shm', 'keyring.json'].includes(f));
}

function expectSafeFailure(result: Result<unknown>, label: string): void {
  expect(result.ok, label).toBe(false);
  if (result.ok) return;
  expect(['WRONG_CREDENTIALS', 'STORE_CORRUPT', 'STORE_WRONG_KEY'], label).toContain(
    result.error.code,
  );
}

describe('signing in with the keyring', () => {
  it('answers a wrong password exactly as an unknown username', async () => {
    const { core } = await clinic();
    await core.call('session.logout', {});
    const wrongPassword = await login(core, ADMIN.username, 'not the right password at all');
    const unknownUser = await login(core, 'nobody', ADMIN.password);
    expect(wrongPassword).toEqual({
      ok: false,
      error: { code: 'WRONG_CREDENTIALS', message: expect.any(String) },
    });
    expect(unknownUser).toEqual(wrongPassword);
    expect(core.currentSession).toBeNull();
    expect(core.openStore).toBeNull();
    expect(await login(core)).toMatchObject({ ok: true });
  });

  it('opens the store with the recovery key and resets the password', async () => {
    const { core, recoveryKey } = await clinic();
    const patient = await core.call('patients.create', { patient: patientInput() });
    const userId = core.currentSession!.userId;
    const before = readJson(core);
    await core.call('session.logout', {});

    // Typed loosely, as people do: lower case, spaces instead of dashes.
    const typed = recoveryKey.toLowerCase().replace(/-/g, ' ');
    const recovered = await core.dispatch('session.recover', {
      recoveryKey: typed,
      username: ADMIN.username,
      newPassword: NEW_PASSWORD,
    });
    expect(recovered).toMatchObject({ ok: true, value: { userId } });
    expect((await core.call('patients.get', { id: patient.id })).familyName).toBe('Müller');

    const after = readJson(core);
    expect(after.staff[0]!.secretKey.salt).not.toBe(before.staff[0]!.secretKey.salt);
    expect({ ...after, staff: [] }).toEqual({ ...before, staff: [] });
    expect(strayFiles(path.dirname(core.paths.keyring))).toEqual([]);

    await core.call('session.logout', {});
    expect(await login(core)).toMatchObject({ ok: false, error: { code: 'WRONG_CREDENTIALS' } });
    expect(await login(core, ADMIN.username, NEW_PASSWORD)).toMatchObject({
      ok: true,
      value: { userId },
    });
    // The recovery key keeps working after use.
    await core.call('session.logout', {});
    expect(
      await core.dispatch('session.recover', {
        recoveryKey,
        username: ADMIN.username,
        newPassword: ADMIN.password,
      }),
    ).toMatchObject({ ok: true });
  });

  it('changes nothing on a wrong recovery key, an unknown user or a weak new password', async () => {
    const { core, recoveryKey } = await clinic();
    await core.call('session.logout', {});
    const keyringHash = sha256(core.paths.keyring);
    // The first character carries five bits of the key (the last one carries padding too).
    const first = recoveryKey[0] === '0' ? '1' : '0';
    const attempts = [
      { recoveryKey: first + recoveryKey.slice(1), username: ADMIN.username },
      { recoveryKey: recoveryKey.slice(0, -5), username: ADMIN.username },
      { recoveryKey: 'ABCD-EFGH', username: ADMIN.username },
      { recoveryKey, username: 'nobody' },
    ];
    for (const a of attempts) {
      const r = await core.dispatch('session.recover', { ...a, newPassword: NEW_PASSWORD });
      expect(r, JSON.stringify(a)).toMatchObject({
        ok: false,
        error: { code: 'WRONG_CREDENTIALS' },
      });
    }
    const weak = await core.dispatch('session.recover', {
      recoveryKey,
      username: ADMIN.username,
      newPassword: 'password1234',
    });
    expect(weak).toMatchObject({ ok: false, error: { code: 'WEAK_PASSWORD' } });
    expect(core.currentSession).toBeNull();
    expect(sha256(core.paths.keyring)).toBe(keyringHash);
  });
});

describe('a tampered keyring fails safely', () => {
  type Tamper = (k: KeyringFile) => unknown;
  const entry = (k: KeyringFile) => k.staff[0]!;
  const tampers: Array<[string, Tamper]> = [
    ['user id changed', (k) => ((entry(k).userId = uuidv7()), k)],
    [
      'wrapped key edited',
      (k) => ((entry(k).secretKey.ciphertext = flipFirstByte(entry(k).secretKey.ciphertext)), k),
    ],
    ['wrapped key not base64', (k) => ((entry(k).secretKey.ciphertext = '!!!not base64!!!'), k)],
    [
      'nonce edited',
      (k) => ((entry(k).secretKey.nonce = flipFirstByte(entry(k).secretKey.nonce)), k),
    ],
    ['salt replaced', (k) => ((entry(k).secretKey.salt = b64.encode(crypto.randomBytes(16))), k)],
    [
      'salt of the wrong length',
      (k) => ((entry(k).secretKey.salt = b64.encode(crypto.randomBytes(5))), k),
    ],
    [
      'memory cost lowered',
      (k) => ((entry(k).secretKey.memlimit = entry(k).secretKey.memlimit / 2), k),
    ],
    ['passes raised', (k) => ((entry(k).secretKey.opslimit += 1), k)],
    ['passes raised to a million', (k) => ((entry(k).secretKey.opslimit = 1_000_000), k)],
    ['passes raised absurdly', (k) => ((entry(k).secretKey.opslimit = 2 ** 32 - 1), k)],
    ['memory raised absurdly', (k) => ((entry(k).secretKey.memlimit = 2 ** 40), k)],
    [
      'sealed store key edited',
      (k) => ((entry(k).sealedStoreKey = flipFirstByte(entry(k).sealedStoreKey)), k),
    ],
    ['public key replaced', (k) => ((entry(k).publicKey = b64.encode(crypto.randomBytes(32))), k)],
    ['store key check edited', (k) => ((k.storeKeyCheck = flipFirstByte(k.storeKeyCheck)), k)],
    ['staff list emptied', (k) => ((k.staff = []), k)],
    ['format changed', (k) => ({ ...k, format: 'other' })],
    ['version changed', (k) => ({ ...k, version: 2 })],
    ['staff not a list', (k) => ({ ...k, staff: { 0: entry(k) } })],
    ['not JSON', () => '{"format": "enamel-keyring", '],
    ['JSON null', () => null],
  ];

  it.each(tampers)('%s', async (_label, tamper) => {
    const { core } = await clinic();
    await core.call('session.logout', {});
    const keyring = readJson(core);
    const tampered = tamper(structuredClone(keyring));
    if (typeof tampered === 'string') fs.writeFileSync(core.paths.keyring, tampered);
    else writeJson(core, tampered);
    const dbBefore = sha256(core.paths.database);

    const result = await login(core);
    expectSafeFailure(result, 'login');
    expect(core.currentSession).toBeNull();
    expect(core.openStore).toBeNull();
    // Status and sign-in never throw: every answer is an envelope.
    const status = await core.dispatch('app.status', {});
    if (!status.ok) expect(status.error.code).toBe('STORE_CORRUPT');
    expect(sha256(core.paths.database)).toBe(dbBefore);
  });

  it('refuses an entry moved to another staff member (user ids swapped)', async () => {
    const { core } = await clinic();
    const adminId = core.currentSession!.userId;
    const receptionId = uuidv7();
    // A second staff member, so both entries are genuine before the swap.
    const key = core.openStore!.keyCopy();
    const receptionEntry = await createStaffEntry(
      receptionId,
      RECEPTION.username,
      RECEPTION.password,
      key,
      TEST_KDF,
    );
    const at = new Date().toISOString();
    core
      .openStore!.sqlite.prepare(
        `INSERT INTO staff (id, username, display_name, role, status, hlc, created_at, updated_at)
       VALUES (?, ?, 'Rita Reception', 'receptionist', 'active', ?, ?, ?)`,
      )
      .run(receptionId, RECEPTION.username, core.openStore!.clock.now(), at, at);
    const keyring = readJson(core);
    keyring.staff.push(receptionEntry);
    writeJson(core, keyring);
    await core.call('session.logout', {});
    expect(await login(core, RECEPTION.username, RECEPTION.password)).toMatchObject({
      ok: true,
      value: { userId: receptionId, role: 'receptionist' },
    });
    await core.call('session.logout', {});

    // The receptionist's key material relabelled as the administrator's (and the other way).
    const swapped = readJson(core);
    swapped.staff[0]!.userId = receptionId;
    swapped.staff[1]!.userId = adminId;
    writeJson(core, swapped);
    for (const [username, password] of [
      [RECEPTION.username, RECEPTION.password],
      [ADMIN.username, ADMIN.password],
    ] as const) {
      const r = await login(core, username, password);
      expect(r, username).toMatchObject({ ok: false, error: { code: 'WRONG_CREDENTIALS' } });
      expect(core.currentSession).toBeNull();
    }
  });

  it('refuses a store key planted by someone who can write the keyring', async () => {
    const { core } = await clinic();
    await core.call('session.logout', {});
    const s = await loadSodium();
    const keyring = readJson(core);
    // Anyone can seal to a public key: plant a key of one's own, with a matching check value.
    const planted = crypto.randomBytes(32);
    keyring.staff[0]!.sealedStoreKey = b64.encode(
      s.crypto_box_seal(planted, b64.decode(keyring.staff[0]!.publicKey)),
    );
    keyring.storeKeyCheck = await storeKeyCheck(planted, keyring.storeId);
    writeJson(core, keyring);
    const dbBefore = sha256(core.paths.database);
    const r = await login(core);
    expectSafeFailure(r, 'planted key');
    expect(core.currentSession).toBeNull();
    expect(sha256(core.paths.database)).toBe(dbBefore);
  });

  it('refuses recovery with a tampered recovery entry', async () => {
    const { core, recoveryKey } = await clinic();
    await core.call('session.logout', {});
    for (const field of ['publicKey', 'sealedStoreKey'] as const) {
      const keyring = readJson(core);
      keyring.recovery[field] = flipFirstByte(keyring.recovery[field]);
      writeJson(core, keyring);
      const r = await core.dispatch('session.recover', {
        recoveryKey,
        username: ADMIN.username,
        newPassword: NEW_PASSWORD,
      });
      expectSafeFailure(r, field);
      expect(core.currentSession).toBeNull();
      keyring.recovery[field] = flipFirstByte(keyring.recovery[field]);
      writeJson(core, keyring);
    }
    expect(await login(core)).toMatchObject({ ok: true });
  });
});

describe('keyring file', () => {
  it('is written atomically, leaves no temp files and is readable only by its owner', async () => {
    const { core, dir, recoveryKey } = await clinic();
    expect(strayFiles(dir)).toEqual([]);
    await core.call('session.recover', {
      recoveryKey,
      username: ADMIN.username,
      newPassword: NEW_PASSWORD,
    });
    expect(strayFiles(dir)).toEqual([]);
    if (process.platform !== 'win32') {
      expect(fs.statSync(core.paths.keyring).mode & 0o777).toBe(0o600);
      expect(fs.statSync(dir).mode & 0o077).toBe(0);
    }
  });

  it('replaces the whole content, and cleans up when the write fails', () => {
    const dir = tempDir();
    const target = path.join(dir, 'keyring.json');
    writeFileAtomic(target, 'a much longer first version of the file');
    writeFileAtomic(target, 'short');
    expect(fs.readFileSync(target, 'utf8')).toBe('short');
    expect(fs.readdirSync(dir)).toEqual(['keyring.json']);

    // A folder where the file should be: the rename fails, and no temp file may be left.
    const blocked = path.join(dir, 'blocked.json');
    fs.mkdirSync(blocked);
    expect(() => writeFileAtomic(blocked, 'data')).toThrow();
    expect(fs.readdirSync(dir).sort()).toEqual(['blocked.json', 'keyring.json']);
    expect(fs.readdirSync(blocked)).toEqual([]);
  });

  it('wraps staff keys with Argon2id, at least 3 passes over 64 MiB by default', async () => {
    expect(DEFAULT_KDF.opslimit).toBeGreaterThanOrEqual(3);
    expect(DEFAULT_KDF.memlimit).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    const dir = tempDir();
    const core = new Core({ dataDir: dir });
    cores.push(core);
    await core.call('setup.createClinic', {
      clinic: {
        name: 'Hillside Dental',
        timeZone: 'Europe/London',
        country: 'GB',
        locale: 'en-GB',
        ageOfConsent: 16,
      },
      admin: ADMIN,
    });
    const { secretKey } = readJson(core).staff[0]!;
    expect(secretKey.opslimit).toBeGreaterThanOrEqual(3);
    expect(secretKey.memlimit).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    expect(b64.decode(secretKey.salt)).toHaveLength(16);
    await core.call('session.logout', {});
    expect(await login(core)).toMatchObject({ ok: true });
  });

  it('opens each entry with the parameters it was made with', async () => {
    const key = crypto.randomBytes(32);
    const entry = await createStaffEntry(uuidv7(), 'ada', ADMIN.password, key, TEST_KDF);
    expect(entry.secretKey).toMatchObject(TEST_KDF);
    const unlocked = await unlockWithPassword(entry, ADMIN.password, DEFAULT_KDF);
    expect(unlocked && Buffer.from(unlocked).equals(key)).toBe(true);
    expect(await unlockWithPassword(entry, 'wrong password here', DEFAULT_KDF)).toBeNull();
    expect(await unlockWithPassword(null, ADMIN.password, TEST_KDF)).toBeNull();
    // NFC and NFD spellings of the same password are the same password.
    const accented = await createStaffEntry(uuidv7(), 'zoe', 'Zo\u00eb pass phrase', key, TEST_KDF);
    expect(await unlockWithPassword(accented, 'Zoe\u0308 pass phrase', TEST_KDF)).not.toBeNull();
  });
});
