import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Core } from '../../electron/core/core';
import type { KeyringFile } from '../../electron/core/crypto/keyring';
import { openStore } from '../../electron/core/db/store';
import type { DeviceBinding, KeyringProtector } from '../../electron/core/keyring-protector';
import { loadSodium } from '../../electron/core/crypto/sodium';
import type { StaffInput } from '../../shared/ipc/staff';
import { ADMIN, patientInput, setUpCore, TEST_KDF } from '../support/core';

const cores: Core[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.close();
});

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
  providerId: '01890a5d-ac96-774b-bcce-b302099a8057',
  password: 'walrus lantern pebble orchard',
};

async function clinic() {
  const setup = await setUpCore();
  cores.push(setup.core);
  return setup;
}

function reopen(dir: string, binding?: DeviceBinding): Core {
  const core = new Core({
    dataDir: dir,
    kdf: TEST_KDF,
    ...(binding ? { deviceBinding: binding } : {}),
  });
  cores.push(core);
  return core;
}

const keyringOf = (core: Core) =>
  JSON.parse(fs.readFileSync(core.paths.keyring, 'utf8')) as KeyringFile;

const signIn = (core: Core, who: { username: string; password: string }) =>
  core.dispatch('session.login', { username: who.username, password: who.password });

/** The store key the signed-in session holds, to prove later that it stopped working. */
function heldKey(core: Core): Uint8Array {
  return core.openStore!.keyCopy();
}

function opensWith(core: Core, key: Uint8Array): boolean {
  try {
    openStore(core.paths.database, key).close();
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'STORE_WRONG_KEY') return false;
    throw e;
  }
}

function staffChanges(core: Core, id: string): Array<{ operation: string; columns: string }> {
  return core
    .openStore!.sqlite.prepare(
      `SELECT operation, columns FROM change_log WHERE table_name = 'staff' AND row_id = ? ORDER BY hlc`,
    )
    .all(id) as Array<{ operation: string; columns: string }>;
}

describe('staff accounts', () => {
  it('adds staff with their own key pair; they sign in with their own password', async () => {
    const { core } = await clinic();
    const rita = await core.call('staff.add', RECEPTION);
    const dan = await core.call('staff.add', DENTIST);
    expect(rita).toMatchObject({
      username: 'rita',
      displayName: 'Rita Reception',
      role: 'receptionist',
      status: 'active',
      providerId: null,
      canSignIn: true,
    });
    expect(dan).toMatchObject({ role: 'clinician', providerId: DENTIST.providerId });

    const keyring = keyringOf(core);
    expect(keyring.staff.map((e) => e.username)).toEqual(['admin', 'rita', 'dan']);
    expect(new Set(keyring.staff.map((e) => e.publicKey)).size).toBe(3);
    // Every write is recorded in the change log, with the manager as author.
    expect(staffChanges(core, rita.id)).toEqual([
      {
        operation: 'insert',
        columns: JSON.stringify(['username', 'display_name', 'role', 'status', 'provider_id']),
      },
    ]);
    const author = core
      .openStore!.sqlite.prepare(`SELECT author_id FROM change_log WHERE row_id = ?`)
      .get(rita.id) as { author_id: string };
    expect(author.author_id).toBe(core.currentSession!.userId);

    await core.call('session.logout', {});
    expect(await signIn(core, RECEPTION)).toMatchObject({
      ok: true,
      value: { userId: rita.id, role: 'receptionist', displayName: 'Rita Reception' },
    });
    expect(await signIn(core, { username: 'rita', password: DENTIST.password })).toMatchObject({
      ok: false,
      error: { code: 'WRONG_CREDENTIALS' },
    });
    expect(await signIn(core, DENTIST)).toMatchObject({ ok: true, value: { userId: dan.id } });
  });

  it('lets only the practice manager manage staff, and takes identity from the session', async () => {
    const { core } = await clinic();
    const rita = await core.call('staff.add', RECEPTION);
    await core.call('staff.add', DENTIST);
    await core.call('session.logout', {});
    await core.call('session.login', { username: 'rita', password: RECEPTION.password });
    const attempts: Array<[string, unknown]> = [
      ['staff.list', {}],
      ['staff.add', { ...RECEPTION, username: 'rita2' }],
      ['staff.update', { id: rita.id, patch: { role: 'practice_manager' } }],
      ['staff.disable', { id: rita.id }],
      ['staff.enable', { id: rita.id, password: RECEPTION.password }],
      ['staff.remove', { id: rita.id }],
      ['staff.replaceRecoveryKey', { password: RECEPTION.password }],
      ['settings.security', {}],
      ['settings.setIdleLock', { minutes: 30 }],
    ];
    for (const [name, args] of attempts) {
      expect(await core.dispatch(name, args), name).toMatchObject({
        ok: false,
        error: { code: 'NOT_ALLOWED' },
      });
    }
    await core.call('session.logout', {});
    await core.call('session.login', { username: ADMIN.username, password: ADMIN.password });
    // No argument can name the actor.
    expect(
      await core.dispatch('staff.add', { ...RECEPTION, username: 'rita3', actorId: rita.id }),
    ).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect((await core.call('staff.list', {})).map((s) => s.username)).toEqual([
      'admin',
      'dan',
      'rita',
    ]);
  });

  it('refuses a taken username or a weak first password and writes nothing', async () => {
    const { core } = await clinic();
    await core.call('staff.add', RECEPTION);
    const before = fs.readFileSync(core.paths.keyring, 'utf8');
    expect(await core.dispatch('staff.add', { ...DENTIST, username: 'RITA' })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT', fields: [{ path: 'username' }] },
    });
    expect(await core.dispatch('staff.add', { ...DENTIST, password: 'password1' })).toMatchObject({
      ok: false,
      error: { code: 'WEAK_PASSWORD', fields: [{ path: 'password' }] },
    });
    expect(fs.readFileSync(core.paths.keyring, 'utf8')).toBe(before);
    expect((await core.call('staff.list', {})).map((s) => s.username)).toEqual(['admin', 'rita']);
  });

  it('edits name, username, role and provider link; a renamed account signs in by its new name', async () => {
    const { core } = await clinic();
    const dan = await core.call('staff.add', DENTIST);
    const edited = await core.call('staff.update', {
      id: dan.id,
      patch: { username: 'daniel', displayName: 'Dr Daniel Dent', providerId: null },
    });
    expect(edited).toMatchObject({
      username: 'daniel',
      displayName: 'Dr Daniel Dent',
      providerId: null,
      canSignIn: true,
    });
    expect(staffChanges(core, dan.id).at(-1)).toEqual({
      operation: 'update',
      columns: JSON.stringify(['username', 'display_name', 'provider_id']),
    });
    await core.call('session.logout', {});
    expect(await signIn(core, DENTIST)).toMatchObject({
      ok: false,
      error: { code: 'WRONG_CREDENTIALS' },
    });
    expect(await signIn(core, { username: 'daniel', password: DENTIST.password })).toMatchObject({
      ok: true,
      value: { userId: dan.id, username: 'daniel' },
    });
  });

  it('always keeps one active practice manager', async () => {
    const { core } = await clinic();
    const me = core.currentSession!.userId;
    expect(
      await core.dispatch('staff.update', { id: me, patch: { role: 'receptionist' } }),
    ).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    for (const name of ['staff.disable', 'staff.remove'])
      expect(await core.dispatch(name, { id: me }), name).toMatchObject({
        ok: false,
        error: { code: 'CONFLICT' },
      });
    // A second manager can be demoted by the first; the last one cannot lose the role.
    const other = await core.call('staff.add', {
      ...RECEPTION,
      username: 'pam',
      role: 'practice_manager',
    });
    expect(
      await core.call('staff.update', { id: other.id, patch: { role: 'receptionist' } }),
    ).toMatchObject({ role: 'receptionist' });
    expect(core.currentSession).toMatchObject({ userId: me, role: 'practice_manager' });
  });

  it('disabling ends access: no sign-in, no key, the store key rotated; history kept', async () => {
    const { core, recoveryKey } = await clinic();
    const rita = await core.call('staff.add', RECEPTION);
    const dan = await core.call('staff.add', DENTIST);
    const patient = await core.call('patients.create', { patient: patientInput() });
    const oldKey = heldKey(core);

    const events: unknown[] = [];
    core.subscribe((name, payload) => events.push([name, payload]));
    const disabled = await core.call('staff.disable', { id: dan.id });
    expect(disabled).toMatchObject({ status: 'disabled', canSignIn: false });
    expect(events).toEqual([['staff.changed', { ids: [dan.id] }]]);
    // The manager carries on without signing in again, on the rotated store.
    expect((await core.call('patients.get', { id: patient.id })).familyName).toBe('Müller');
    expect(opensWith(core, oldKey)).toBe(false);
    expect(keyringOf(core).staff.map((e) => e.username)).toEqual(['admin', 'rita']);
    expect(fs.existsSync(`${core.paths.keyring}.next`)).toBe(false);
    expect(fs.existsSync(`${core.paths.database}.next`)).toBe(false);
    expect((await core.call('staff.list', {})).find((s) => s.id === dan.id)).toMatchObject({
      status: 'disabled',
    });
    expect(staffChanges(core, dan.id).at(-1)).toEqual({
      operation: 'update',
      columns: JSON.stringify(['status']),
    });

    await core.call('session.logout', {});
    const refused = await signIn(core, DENTIST);
    expect(refused).toEqual(
      await core.dispatch('session.login', { username: 'nobody', password: DENTIST.password }),
    );
    expect(refused).toMatchObject({ ok: false, error: { code: 'WRONG_CREDENTIALS' } });
    expect(
      await core.dispatch('session.recover', {
        recoveryKey,
        username: DENTIST.username,
        newPassword: 'a brand new long passphrase',
      }),
    ).toMatchObject({ ok: false, error: { code: 'WRONG_CREDENTIALS' } });

    // Everyone else still gets in, on a fresh Core too.
    const again = reopen(core.paths.dir);
    expect(await signIn(again, RECEPTION)).toMatchObject({ ok: true, value: { userId: rita.id } });
    await again.call('session.logout', {});
    expect(await signIn(again, ADMIN)).toMatchObject({ ok: true });
    expect((await again.call('patients.get', { id: patient.id })).familyName).toBe('Müller');

    // Enabling gives a new first password (the old key is gone for good).
    await again.call('staff.enable', { id: dan.id, password: 'fresh orchard lantern stone' });
    await again.call('session.logout', {});
    expect(await signIn(again, DENTIST)).toMatchObject({
      ok: false,
      error: { code: 'WRONG_CREDENTIALS' },
    });
    expect(
      await signIn(again, { username: 'dan', password: 'fresh orchard lantern stone' }),
    ).toMatchObject({ ok: true, value: { userId: dan.id } });
  });

  it('removing keeps the row for history, deletes the key and rotates the store key', async () => {
    const { core, recoveryKey } = await clinic();
    const rita = await core.call('staff.add', RECEPTION);
    const dan = await core.call('staff.add', DENTIST);
    const oldKey = heldKey(core);
    await core.call('staff.remove', { id: rita.id });
    expect(opensWith(core, oldKey)).toBe(false);
    const list = await core.call('staff.list', {});
    expect(list.find((s) => s.id === rita.id)).toMatchObject({
      status: 'removed',
      canSignIn: false,
      username: 'rita',
    });
    expect(
      await core.dispatch('staff.enable', { id: rita.id, password: 'x y z w v u t s' }),
    ).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(
      await core.dispatch('staff.update', { id: rita.id, patch: { role: 'clinician' } }),
    ).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    // The username stays taken, so the history never becomes ambiguous.
    expect(await core.dispatch('staff.add', { ...RECEPTION })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT' },
    });

    await core.call('session.logout', {});
    expect(await signIn(core, RECEPTION)).toMatchObject({
      ok: false,
      error: { code: 'WRONG_CREDENTIALS' },
    });
    expect(await signIn(core, DENTIST)).toMatchObject({ ok: true, value: { userId: dan.id } });
    await core.call('session.logout', {});
    expect(
      await core.dispatch('session.recover', {
        recoveryKey,
        username: ADMIN.username,
        newPassword: ADMIN.password,
      }),
    ).toMatchObject({ ok: true });
  });

  it('removing a disabled account needs no second rotation', async () => {
    const { core } = await clinic();
    const dan = await core.call('staff.add', DENTIST);
    await core.call('staff.disable', { id: dan.id });
    const keyAfterDisable = heldKey(core);
    await core.call('staff.remove', { id: dan.id });
    expect(opensWith(core, keyAfterDisable)).toBe(true);
    expect((await core.call('staff.list', {})).find((s) => s.id === dan.id)?.status).toBe(
      'removed',
    );
  });
});

describe('passwords', () => {
  it('a password change re-wraps only that account’s secret key and needs the current password', async () => {
    const { core } = await clinic();
    await core.call('staff.add', RECEPTION);
    await core.call('session.logout', {});
    await core.call('session.login', { username: 'rita', password: RECEPTION.password });
    const before = keyringOf(core);

    expect(
      await core.dispatch('session.changePassword', {
        currentPassword: 'not my password at all',
        newPassword: 'velvet harbour compass thistle',
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'WRONG_CREDENTIALS', fields: [{ path: 'currentPassword' }] },
    });
    expect(
      await core.dispatch('session.changePassword', {
        currentPassword: RECEPTION.password,
        newPassword: 'rita12345',
      }),
    ).toMatchObject({ ok: false, error: { code: 'WEAK_PASSWORD' } });
    expect(keyringOf(core)).toEqual(before);

    await core.call('session.changePassword', {
      currentPassword: RECEPTION.password,
      newPassword: 'velvet harbour compass thistle',
    });
    const after = keyringOf(core);
    const [adminBefore, ritaBefore] = before.staff;
    const [adminAfter, ritaAfter] = after.staff;
    expect(adminAfter).toEqual(adminBefore);
    expect({ ...after, staff: [] }).toEqual({ ...before, staff: [] });
    // Same key pair and sealed store key; only the wrapping changed.
    expect(ritaAfter!.publicKey).toBe(ritaBefore!.publicKey);
    expect(ritaAfter!.sealedStoreKey).toBe(ritaBefore!.sealedStoreKey);
    expect(ritaAfter!.secretKey.salt).not.toBe(ritaBefore!.secretKey.salt);
    expect(ritaAfter!.secretKey.ciphertext).not.toBe(ritaBefore!.secretKey.ciphertext);

    await core.call('session.logout', {});
    expect(await signIn(core, RECEPTION)).toMatchObject({
      ok: false,
      error: { code: 'WRONG_CREDENTIALS' },
    });
    expect(
      await signIn(core, { username: 'rita', password: 'velvet harbour compass thistle' }),
    ).toMatchObject({ ok: true });
  });
});

describe('the recovery key', () => {
  it('can be replaced by a practice manager: the new one works, the old one stops working', async () => {
    const { core, recoveryKey: oldRecovery } = await clinic();
    await core.call('staff.add', RECEPTION);
    const oldKey = heldKey(core);
    const before = keyringOf(core);
    expect(
      await core.dispatch('staff.replaceRecoveryKey', { password: 'wrong password here' }),
    ).toMatchObject({ ok: false, error: { code: 'WRONG_CREDENTIALS' } });
    expect(keyringOf(core)).toEqual(before);

    const { recoveryKey } = await core.call('staff.replaceRecoveryKey', {
      password: ADMIN.password,
    });
    expect(recoveryKey).toMatch(/^([0-9A-Z]{4}-){12}[0-9A-Z]{4}$/);
    expect(recoveryKey).not.toBe(oldRecovery);
    const after = keyringOf(core);
    expect(after.pendingRecovery).toBeUndefined();
    expect(after.recovery.publicKey).not.toBe(before.recovery.publicKey);
    // The store key was rotated too: an old keyring copy plus the old recovery key open nothing.
    expect(opensWith(core, oldKey)).toBe(false);

    await core.call('session.logout', {});
    const reset = (key: string) =>
      core.dispatch('session.recover', {
        recoveryKey: key,
        username: 'rita',
        newPassword: 'meadow copper violin anchor',
      });
    expect(await reset(oldRecovery)).toMatchObject({
      ok: false,
      error: { code: 'WRONG_CREDENTIALS' },
    });
    expect(await reset(recoveryKey)).toMatchObject({ ok: true, value: { username: 'rita' } });
    await core.call('session.logout', {});
    expect(await signIn(core, ADMIN)).toMatchObject({ ok: true });
  });
});

describe('workstation security settings', () => {
  it('keeps the idle lock in a settings file readable before sign-in; managers change it', async () => {
    const { core, dir } = await clinic();
    expect((await core.call('app.status', {})).idleLockMinutes).toBe(5);
    expect(await core.call('settings.security', {})).toEqual({
      idleLockMinutes: 5,
      deviceBinding: { active: false, reason: expect.stringMatching(/^Not available/) },
    });
    for (const minutes of [0, 121, 2.5])
      expect(
        await core.dispatch('settings.setIdleLock', { minutes }),
        String(minutes),
      ).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect((await core.call('settings.setIdleLock', { minutes: 15 })).idleLockMinutes).toBe(15);
    await core.call('session.logout', {});
    expect((await core.call('app.status', {})).idleLockMinutes).toBe(15);
    expect((await reopen(dir).call('app.status', {})).idleLockMinutes).toBe(15);
    // An edited file cannot turn the lock off.
    fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ idleLockMinutes: 100000 }));
    expect((await core.call('app.status', {})).idleLockMinutes).toBe(5);
  });
});

/** A stand-in for a device keystore: secretbox under a key only this "computer" has. */
async function fakeKeystore(name = 'electron-safe-storage'): Promise<KeyringProtector> {
  const s = await loadSodium();
  const key = s.randombytes_buf(32);
  return {
    name,
    async protect(plain) {
      const nonce = s.randombytes_buf(24);
      return new Uint8Array([...nonce, ...s.crypto_secretbox_easy(plain, nonce, key)]);
    },
    async unprotect(wrapped) {
      return s.crypto_secretbox_open_easy(wrapped.slice(24), wrapped.slice(0, 24), key);
    },
  };
}

describe('device binding', () => {
  it('locks the staff keys to the keystore; elsewhere only the recovery key opens the data', async () => {
    const { core, dir, recoveryKey } = await clinic();
    const rita = await core.call('staff.add', RECEPTION);
    const patient = await core.call('patients.create', { patient: patientInput() });
    await core.close();

    const protector = await fakeKeystore();
    const bound = reopen(dir, { protector, reason: 'In use: test keystore' });
    // Signing in binds the existing plain keyring.
    await bound.call('session.login', { username: ADMIN.username, password: ADMIN.password });
    const raw = fs.readFileSync(bound.paths.keyring, 'utf8');
    expect(JSON.parse(raw)).toMatchObject({
      format: 'enamel-keyring-bound',
      protector: protector.name,
    });
    // Names and wrapped staff keys are inside the keystore-sealed part; only the recovery entry
    // (nothing to guess) stays readable.
    for (const hidden of ['"admin"', '"rita"', '"ciphertext"', '"salt"', '"userId"'])
      expect(raw.includes(hidden), hidden).toBe(false);
    expect(Object.keys(JSON.parse(raw) as object)).toContain('recovery');
    expect(await bound.call('settings.security', {})).toMatchObject({
      deviceBinding: { active: true, reason: 'In use: test keystore' },
    });
    // Staff changes keep working under the binding, rotation included.
    await bound.call('staff.disable', { id: rita.id });
    await bound.call('staff.enable', { id: rita.id, password: 'copper meadow anchor violin' });
    await bound.call('session.logout', {});
    expect(
      await signIn(bound, { username: 'rita', password: 'copper meadow anchor violin' }),
    ).toMatchObject({ ok: true });
    await bound.close();

    // The same folder on another computer (no keystore, or another one): passwords cannot work.
    for (const other of [undefined, { protector: await fakeKeystore(), reason: 'other' }]) {
      const elsewhere = reopen(dir, other);
      expect(await signIn(elsewhere, ADMIN)).toMatchObject({
        ok: false,
        error: { code: 'STORE_LOCKED' },
      });
      expect((await elsewhere.call('app.status', {})).setUp).toBe(true);
    }
    // The recovery key still opens it and gives the admin a new, unbound key.
    const rescued = reopen(dir);
    await rescued.call('session.recover', {
      recoveryKey,
      username: ADMIN.username,
      newPassword: 'granite willow lantern seven',
    });
    expect((await rescued.call('patients.get', { id: patient.id })).familyName).toBe('Müller');
    expect((await rescued.call('staff.list', {})).find((s) => s.id === rita.id)).toMatchObject({
      status: 'active',
      canSignIn: false,
    });
    // The manager gives the others new first passwords.
    await rescued.call('staff.enable', { id: rita.id, password: 'harbour velvet thistle compass' });
    await rescued.call('session.logout', {});
    expect(
      await signIn(rescued, { username: 'rita', password: 'harbour velvet thistle compass' }),
    ).toMatchObject({ ok: true });
  });
});
