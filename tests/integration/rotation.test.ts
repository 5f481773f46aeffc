import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Core } from '../../electron/core/core';
import type { KeyringFile } from '../../electron/core/crypto/keyring';
import { rekeyStore, type RotationStep } from '../../electron/core/crypto/rotation';
import { loadSodium } from '../../electron/core/crypto/sodium';
import { openStore } from '../../electron/core/db/store';
import type { StaffInput } from '../../shared/ipc/staff';
import { ADMIN, patientInput, setUpCore, TEST_KDF } from '../support/core';

const RECEPTION: StaffInput = {
  displayName: 'Rita Reception',
  username: 'rita',
  role: 'receptionist',
  password: 'teapot glacier mosaic ribbon',
};
const DENTIST: StaffInput = {
  displayName: 'Dr Dan Dent',
  username: 'dan',
  role: 'clinician',
  password: 'walrus lantern pebble orchard',
};

const cores: Core[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.close();
});

const STEPS: RotationStep[] = [
  'keyring-trimmed',
  'next-written',
  'copy-written',
  'copy-rekeyed',
  'database-swapped',
  'promoted',
];

function core(dir: string, crashAt?: RotationStep): Core {
  const c = new Core({
    dataDir: dir,
    kdf: TEST_KDF,
    ...(crashAt
      ? {
          onRotationStep: (step: RotationStep) => {
            if (step === crashAt) throw new Error(`simulated crash after ${step}`);
          },
        }
      : {}),
  });
  cores.push(c);
  return c;
}

function opensWith(file: string, key: Uint8Array): boolean {
  try {
    openStore(file, key).close();
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'STORE_WRONG_KEY') return false;
    throw e;
  }
}

const keyringOf = (c: Core) => JSON.parse(fs.readFileSync(c.paths.keyring, 'utf8')) as KeyringFile;

/** A clinic with a manager, a receptionist, a dentist and a patient; signed out. */
async function clinicOfThree() {
  const { core: first, dir, recoveryKey } = await setUpCore();
  cores.push(first);
  const rita = await first.call('staff.add', RECEPTION);
  const dan = await first.call('staff.add', DENTIST);
  const patient = await first.call('patients.create', { patient: patientInput() });
  const oldKey = first.openStore!.keyCopy();
  await first.close();
  return { dir, recoveryKey, rita, dan, patient, oldKey };
}

const NEW_ADMIN_PASSWORD = 'granite willow lantern seven';

describe('removing a member of staff rotates the store key', () => {
  it('afterwards the old key opens nothing; every remaining user and the recovery key still can', async () => {
    const { dir, recoveryKey, dan, patient, oldKey } = await clinicOfThree();
    const c = core(dir);
    await c.call('session.login', { username: ADMIN.username, password: ADMIN.password });
    await c.call('staff.remove', { id: dan.id });
    await c.close();

    const fresh = core(dir);
    expect(opensWith(fresh.paths.database, oldKey)).toBe(false);
    expect(
      await fresh.dispatch('session.login', { username: 'dan', password: DENTIST.password }),
    ).toMatchObject({ ok: false, error: { code: 'WRONG_CREDENTIALS' } });
    for (const who of [ADMIN, RECEPTION]) {
      await fresh.call('session.login', { username: who.username, password: who.password });
      expect((await fresh.call('patients.get', { id: patient.id })).familyName).toBe('Müller');
      await fresh.call('session.logout', {});
    }
    await fresh.call('session.recover', {
      recoveryKey,
      username: ADMIN.username,
      newPassword: NEW_ADMIN_PASSWORD,
    });
    expect((await fresh.call('patients.get', { id: patient.id })).familyName).toBe('Müller');
  });

  describe.each(STEPS)('a crash after step "%s"', (step) => {
    it.each(['a remaining member of staff', 'the recovery key'])(
      'leaves a way in: %s gets in first, the removed member never does',
      async (firstIn) => {
        const { dir, recoveryKey, rita, dan, patient, oldKey } = await clinicOfThree();
        const crashing = core(dir, step);
        await crashing.call('session.login', {
          username: ADMIN.username,
          password: ADMIN.password,
        });
        const result = await crashing.dispatch('staff.remove', { id: dan.id });
        expect(result).toMatchObject({ ok: false, error: { code: 'STORE_LOCKED' } });
        expect(crashing.currentSession).toBeNull();
        expect(crashing.openStore).toBeNull();
        await crashing.close();

        // The next start.
        const next = core(dir);
        expect(
          await next.dispatch('session.login', { username: 'dan', password: DENTIST.password }),
        ).toMatchObject({ ok: false, error: { code: 'WRONG_CREDENTIALS' } });
        if (firstIn === 'the recovery key') {
          await next.call('session.recover', {
            recoveryKey,
            username: 'rita',
            newPassword: 'meadow copper violin anchor',
          });
        } else {
          await next.call('session.login', { username: 'rita', password: RECEPTION.password });
        }
        expect(next.currentSession?.userId).toBe(rita.id);
        expect((await next.call('patients.get', { id: patient.id })).familyName).toBe('Müller');

        // The rotation was finished, not abandoned.
        expect(fs.existsSync(`${next.paths.keyring}.next`)).toBe(false);
        expect(fs.existsSync(`${next.paths.database}.next`)).toBe(false);
        expect(opensWith(next.paths.database, oldKey)).toBe(false);
        expect(keyringOf(next).staff.map((e) => e.username)).toEqual(['admin', 'rita']);
        await next.call('session.logout', {});

        expect(
          await next.dispatch('session.login', { username: 'dan', password: DENTIST.password }),
        ).toMatchObject({ ok: false, error: { code: 'WRONG_CREDENTIALS' } });
        await next.call('session.login', { username: ADMIN.username, password: ADMIN.password });
        expect((await next.call('staff.list', {})).find((s) => s.id === dan.id)?.status).toBe(
          'removed',
        );
        await next.call('session.logout', {});
        await next.call('session.recover', {
          recoveryKey,
          username: ADMIN.username,
          newPassword: NEW_ADMIN_PASSWORD,
        });
        expect((await next.call('patients.get', { id: patient.id })).familyName).toBe('Müller');
      },
    );
  });

  it('a crash before the keyring was touched: the account row decides, and the next sign-in finishes the removal', async () => {
    const { dir, rita, dan, oldKey } = await clinicOfThree();
    const untouched = fs.readFileSync(`${dir}/keyring.json`);
    const crashing = core(dir, 'keyring-trimmed');
    await crashing.call('session.login', { username: ADMIN.username, password: ADMIN.password });
    await crashing.dispatch('staff.remove', { id: dan.id });
    await crashing.close();
    // As if the process died between the row update and the first keyring write.
    fs.writeFileSync(`${dir}/keyring.json`, untouched);

    const next = core(dir);
    const refused = await next.dispatch('session.login', {
      username: 'dan',
      password: DENTIST.password,
    });
    expect(refused).toEqual(
      await next.dispatch('session.login', { username: 'nobody', password: DENTIST.password }),
    );
    await next.call('session.login', { username: 'rita', password: RECEPTION.password });
    expect(next.currentSession?.userId).toBe(rita.id);
    expect(keyringOf(next).staff.map((e) => e.username)).toEqual(['admin', 'rita']);
    expect(opensWith(next.paths.database, oldKey)).toBe(false);
  });

  it('ignores a half-written copy left by a crash inside the rekey', async () => {
    const { dir, patient, oldKey } = await clinicOfThree();
    const crashing = core(dir, 'copy-written');
    await crashing.call('session.login', { username: ADMIN.username, password: ADMIN.password });
    const dan = (await crashing.call('staff.list', {})).find((s) => s.username === 'dan')!;
    await crashing.dispatch('staff.remove', { id: dan.id });
    await crashing.close();
    // The copy is garbage and has a hot journal, as after a kill during PRAGMA rekey.
    fs.writeFileSync(`${dir}/enamel.db.next`, Buffer.alloc(8192, 7));
    fs.writeFileSync(`${dir}/enamel.db.next-journal`, Buffer.alloc(4096, 9));

    const next = core(dir);
    await next.call('session.login', { username: ADMIN.username, password: ADMIN.password });
    expect((await next.call('patients.get', { id: patient.id })).familyName).toBe('Müller');
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('enamel.db.next'))).toEqual([]);
    expect(opensWith(next.paths.database, oldKey)).toBe(false);
  });

  it('other commands wait for the rotation instead of failing', async () => {
    const { dir, dan, patient } = await clinicOfThree();
    const c = core(dir);
    await c.call('session.login', { username: ADMIN.username, password: ADMIN.password });
    const reads = Array.from({ length: 20 }, (_, i) =>
      c.dispatch(
        i % 2 ? 'patients.get' : 'patients.search',
        i % 2 ? { id: patient.id } : { query: 'zoe' },
      ),
    );
    const removal = c.dispatch('staff.remove', { id: dan.id });
    const later = Array.from({ length: 20 }, () => c.dispatch('patients.get', { id: patient.id }));
    const results = await Promise.all([...reads, removal, ...later]);
    for (const r of results) expect(r).toMatchObject({ ok: true });
  });
});

describe('replacing the recovery key', () => {
  it.each(STEPS.filter((s) => s !== 'keyring-trimmed'))(
    'a crash after "%s" leaves the old recovery key working and the staff signing in',
    async (step) => {
      const { dir, recoveryKey, patient } = await clinicOfThree();
      const crashing = core(dir, step);
      await crashing.call('session.login', { username: ADMIN.username, password: ADMIN.password });
      expect(
        await crashing.dispatch('staff.replaceRecoveryKey', { password: ADMIN.password }),
      ).toMatchObject({ ok: false, error: { code: 'STORE_LOCKED' } });
      await crashing.close();

      const next = core(dir);
      await next.call('session.login', { username: 'rita', password: RECEPTION.password });
      // The replacement never reached the screen, so the keyring keeps only the old key.
      expect(keyringOf(next).pendingRecovery).toBeUndefined();
      await next.call('session.logout', {});
      await next.call('session.recover', {
        recoveryKey,
        username: ADMIN.username,
        newPassword: NEW_ADMIN_PASSWORD,
      });
      expect((await next.call('patients.get', { id: patient.id })).familyName).toBe('Müller');
    },
  );
});

describe('rekeyStore', () => {
  it('re-encrypts a store file under a new key and leaves nothing behind', async () => {
    const { dir, patient, oldKey } = await clinicOfThree();
    const s = await loadSodium();
    const newKey = s.randombytes_buf(32);
    const db = `${dir}/enamel.db`;
    const steps: string[] = [];
    rekeyStore({ file: db, oldKey, newKey, onStep: (step) => steps.push(step) });
    expect(steps).toEqual(['copy-written', 'copy-rekeyed', 'database-swapped']);
    expect(opensWith(db, oldKey)).toBe(false);
    const sqlite = openStore(db, newKey, { keyVerified: true });
    try {
      expect(sqlite.prepare('SELECT id FROM patient').all()).toEqual([{ id: patient.id }]);
      expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      sqlite.close();
    }
    expect(fs.readdirSync(dir).filter((f) => f.includes('.next'))).toEqual([]);
  });
});
