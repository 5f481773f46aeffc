import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core';
import type { StaffInput } from '../../shared/ipc/staff';
import { ADMIN, patientInput, setUpCore } from '../support/core';

const RECEPTION: StaffInput = {
  displayName: 'Rita Reception',
  username: 'rita',
  role: 'receptionist',
  password: 'teapot glacier mosaic ribbon',
};

let core: Core | null = null;
afterEach(async () => {
  await core?.close();
  core = null;
});

function record(c: Core): unknown[] {
  const events: unknown[] = [];
  c.subscribe((name, payload) => events.push([name, payload]));
  return events;
}

describe('locking the workstation', () => {
  it('closes the store, wipes the key and announces it; signing in again unlocks', async () => {
    ({ core } = await setUpCore());
    const patient = await core.call('patients.create', { patient: patientInput() });
    const heldKey = core.openStore!.keyCopy();
    const store = core.openStore!;
    const events = record(core);

    expect(await core.call('session.lock', {})).toBeNull();
    expect(events).toEqual([['session.ended', { reason: 'locked' }]]);
    expect(core.currentSession).toBeNull();
    expect(core.openStore).toBeNull();
    expect(store.sqlite.open).toBe(false);
    // The key the closed store held is overwritten.
    expect(Array.from(store.keyCopy()).every((b) => b === 0)).toBe(true);
    expect(heldKey.some((b) => b !== 0)).toBe(true);
    expect(await core.dispatch('patients.get', { id: patient.id })).toMatchObject({
      ok: false,
      error: { code: 'NOT_SIGNED_IN' },
    });
    expect(await core.dispatch('session.lock', {})).toMatchObject({
      ok: false,
      error: { code: 'NOT_SIGNED_IN' },
    });
    expect(await core.call('app.status', {})).toMatchObject({
      setUp: true,
      session: null,
      lockedBy: { username: 'admin', displayName: ADMIN.displayName },
    });

    await core.call('session.login', { username: ADMIN.username, password: ADMIN.password });
    expect((await core.call('patients.get', { id: patient.id })).familyName).toBe('Müller');
    expect((await core.call('app.status', {})).lockedBy).toBeNull();
  });

  it('another member of staff signing in at the lock screen switches user', async () => {
    ({ core } = await setUpCore());
    await core.call('staff.add', RECEPTION);
    const patient = await core.call('patients.create', { patient: patientInput() });
    await core.call('session.lock', {});
    expect(
      await core.dispatch('session.login', { username: 'rita', password: 'wrong guess here' }),
    ).toMatchObject({ ok: false, error: { code: 'WRONG_CREDENTIALS' } });
    // A failed attempt leaves the lock screen as it was.
    expect((await core.call('app.status', {})).lockedBy?.username).toBe('admin');

    const rita = await core.call('session.login', {
      username: 'rita',
      password: RECEPTION.password,
    });
    expect(rita).toMatchObject({ username: 'rita', role: 'receptionist' });
    expect(await core.call('app.status', {})).toMatchObject({ session: rita, lockedBy: null });
    expect((await core.call('patients.get', { id: patient.id })).id).toBe(patient.id);
    // The new user has their own role, not the previous one's.
    expect(await core.dispatch('staff.list', {})).toMatchObject({
      ok: false,
      error: { code: 'NOT_ALLOWED' },
    });
  });

  it('a plain sign-out is not a lock', async () => {
    ({ core } = await setUpCore());
    const events = record(core);
    await core.call('session.logout', {});
    expect(events).toEqual([['session.ended', { reason: 'logout' }]]);
    expect((await core.call('app.status', {})).lockedBy).toBeNull();
  });

  it('the host locking on sleep or idle behaves the same', async () => {
    ({ core } = await setUpCore());
    const events = record(core);
    await core.logout('locked');
    expect(events).toEqual([['session.ended', { reason: 'locked' }]]);
    expect((await core.call('app.status', {})).lockedBy?.username).toBe('admin');
  });

  it('a locked account that is then disabled cannot unlock', async () => {
    ({ core } = await setUpCore());
    const rita = await core.call('staff.add', RECEPTION);
    await core.call('session.logout', {});
    await core.call('session.login', { username: 'rita', password: RECEPTION.password });
    await core.call('session.lock', {});
    await core.call('session.login', { username: ADMIN.username, password: ADMIN.password });
    await core.call('staff.disable', { id: rita.id });
    await core.call('session.lock', {});
    expect(
      await core.dispatch('session.login', { username: 'rita', password: RECEPTION.password }),
    ).toMatchObject({ ok: false, error: { code: 'WRONG_CREDENTIALS' } });
  });

  it('commands in flight when the lock comes finish or are refused cleanly, never half-done', async () => {
    ({ core } = await setUpCore());
    const patient = await core.call('patients.create', { patient: patientInput() });
    const c = core;
    const before = Array.from({ length: 10 }, () => c.dispatch('patients.get', { id: patient.id }));
    const lock = c.dispatch('session.lock', {});
    const after = Array.from({ length: 10 }, () => c.dispatch('patients.get', { id: patient.id }));
    const results = await Promise.all([...before, lock, ...after]);
    for (const r of results.slice(0, 10)) expect(r).toMatchObject({ ok: true });
    expect(results[10]).toEqual({ ok: true, value: null });
    for (const r of results.slice(11))
      expect(r).toMatchObject({ ok: false, error: { code: 'NOT_SIGNED_IN' } });
  });

  it('shows the idle lock setting in the status', async () => {
    ({ core } = await setUpCore());
    expect((await core.call('app.status', {})).idleLockMinutes).toBe(5);
    await core.call('settings.setIdleLock', { minutes: 2 });
    await core.call('session.lock', {});
    expect((await core.call('app.status', {})).idleLockMinutes).toBe(2);
  });
});
