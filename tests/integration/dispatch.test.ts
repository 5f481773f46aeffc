import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core';
import { COMMAND_NAMES, commands } from '../../shared/ipc/contract';
import { ADMIN, patientInput, setUpCore } from '../support/core';

let core: Core | null = null;
afterEach(async () => {
  await core?.close();
  core = null;
});

async function signedIn(): Promise<Core> {
  ({ core } = await setUpCore());
  return core;
}

/** Arguments no schema accepts, to show the session and role checks come before parsing. */
const GARBAGE: unknown = JSON.parse(
  '{"__proto__": {"polluted": true}, "constructor": "x", "id": 42}',
);

const PROTECTED = COMMAND_NAMES.filter((n) => commands[n].roles !== 'public');
const PATIENT_COMMANDS = COMMAND_NAMES.filter((n) => commands[n].touchesPatientData);

/** Gives the signed-in user another role the way a practice manager would, then signs in again. */
async function changeOwnRole(c: Core, role: string): Promise<void> {
  const userId = c.currentSession!.userId;
  await c.openStore!.db.updateTable('staff').set({ role }).where('id', '=', userId).execute();
  await c.call('session.logout', {});
  await c.call('session.login', { username: ADMIN.username, password: ADMIN.password });
  expect(c.currentSession!.role).toBe(role);
}

describe('command routing', () => {
  const unknown: unknown[] = [
    'patients.delete',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    '__defineGetter__',
    'isPrototypeOf',
    '',
    ' patients.get',
    'patients.get\u0000',
    'PATIENTS.GET',
    'patients.__proto__',
    42,
    null,
    undefined,
    {},
    ['patients.get'],
    { toString: () => 'patients.get' },
  ];

  it('answers unknown and inherited names with UNKNOWN_COMMAND, signed in or not', async () => {
    const c = await signedIn();
    for (const phase of ['signed in', 'signed out']) {
      for (const name of unknown) {
        const r = await c.dispatch(name, {});
        expect(r, `${phase}: ${String(name)}`).toEqual({
          ok: false,
          error: { code: 'UNKNOWN_COMMAND', message: expect.any(String) },
        });
      }
      await c.dispatch('session.logout', {});
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers every protected command without a session with NOT_SIGNED_IN, before parsing', async () => {
    const c = await signedIn();
    const patient = await c.call('patients.create', { patient: patientInput() });
    await c.call('session.logout', {});
    expect(PROTECTED.length).toBeGreaterThan(0);
    for (const name of PROTECTED) {
      for (const args of [{}, GARBAGE, { id: patient.id }, undefined]) {
        const r = await c.dispatch(name, args);
        expect(r, name).toMatchObject({ ok: false, error: { code: 'NOT_SIGNED_IN' } });
      }
    }
    expect(PATIENT_COMMANDS.every((n) => PROTECTED.includes(n))).toBe(true);
  });

  it('answers commands outside the role with NOT_ALLOWED: an auditor cannot search patients', async () => {
    const c = await signedIn();
    const patient = await c.call('patients.create', { patient: patientInput() });
    await changeOwnRole(c, 'auditor');
    expect(await c.dispatch('patients.search', { query: 'Müller', limit: 10 })).toMatchObject({
      ok: false,
      error: { code: 'NOT_ALLOWED' },
    });
    let checked = 0;
    for (const name of PROTECTED) {
      const roles = commands[name].roles;
      if (roles === 'signed-in' || roles === 'public' || roles.includes('auditor')) continue;
      for (const args of [{ id: patient.id }, GARBAGE, {}]) {
        const r = await c.dispatch(name, args);
        expect(r, name).toMatchObject({ ok: false, error: { code: 'NOT_ALLOWED' } });
      }
      checked += 1;
    }
    expect(checked).toBeGreaterThan(0);
    // Commands open to any signed-in user still work.
    expect(await c.dispatch('app.status', {})).toMatchObject({ ok: true });
    expect(await c.dispatch('session.logout', {})).toEqual({ ok: true, value: null });
  });

  it('grants nothing to a role it does not know', async () => {
    const c = await signedIn();
    await changeOwnRole(c, 'superuser');
    for (const name of PROTECTED) {
      if (commands[name].roles === 'signed-in') continue;
      expect(await c.dispatch(name, {}), name).toMatchObject({
        ok: false,
        error: { code: 'NOT_ALLOWED' },
      });
    }
  });

  it('still lets every front-desk role work with patients', async () => {
    const c = await signedIn();
    for (const role of ['receptionist', 'clinician', 'practice_manager']) {
      await changeOwnRole(c, role);
      expect(await c.dispatch('patients.search', { query: 'zo' }), role).toMatchObject({
        ok: true,
      });
    }
  });
});

describe('validation answers', () => {
  it('stay short however many unexpected keys are sent', async () => {
    const c = await signedIn();
    const args: Record<string, unknown> = { offset: 0, limit: 10 };
    for (let i = 0; i < 5_000; i++) args[`unexpected_field_number_${i}`] = i;
    const r = await c.dispatch('patients.list', args);
    expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    if (r.ok) return;
    expect(r.error.fields?.length).toBeGreaterThan(0);
    for (const f of r.error.fields ?? []) {
      expect(f.message.length).toBeLessThanOrEqual(200);
      expect(f.path.length).toBeLessThanOrEqual(200);
    }
    expect(JSON.stringify(r).length).toBeLessThan(10_000);
  });
});

describe('identity comes from the session, never from arguments', () => {
  const IDENTITY_KEYS = [
    'actorId',
    'userId',
    'author_id',
    'authorId',
    'deviceId',
    'device_id',
    'session',
    'role',
  ];

  it('rejects identity fields anywhere in the arguments and writes nothing', async () => {
    const c = await signedIn();
    const sessionUser = c.currentSession!.userId;
    const other = uuidv7();
    const patient = await c.call('patients.create', { patient: patientInput() });
    const changesBefore = await c.openStore!.db.selectFrom('change_log').selectAll().execute();

    for (const key of IDENTITY_KEYS) {
      const attempts: Array<[string, unknown]> = [
        ['patients.create', { patient: patientInput({ familyName: 'Other' }), [key]: other }],
        [
          'patients.create',
          { patient: { ...patientInput({ familyName: 'Other' }), [key]: other } },
        ],
        ['patients.update', { id: patient.id, patch: { familyName: 'Forged', [key]: other } }],
        ['patients.update', { id: patient.id, patch: { familyName: 'Forged' }, [key]: other }],
        ['patients.archive', { id: patient.id, [key]: other }],
        [
          'patients.update',
          {
            id: patient.id,
            patch: {
              alerts: [{ kind: 'allergy', description: 'Latex', severity: 'high', [key]: other }],
            },
          },
        ],
      ];
      for (const [name, args] of attempts) {
        const r = await c.dispatch(name, args);
        expect(r, `${name} with ${key}`).toMatchObject({
          ok: false,
          error: { code: 'VALIDATION' },
        });
      }
    }
    for (const key of ['hlc', 'id', 'created_at', 'updated_at', 'deleted', 'version', 'age']) {
      const r = await c.dispatch('patients.update', {
        id: patient.id,
        patch: { familyName: 'Forged', [key]: key === 'deleted' ? 1 : 'x' },
      });
      expect(r, key).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    }
    expect(await c.openStore!.db.selectFrom('change_log').selectAll().execute()).toEqual(
      changesBefore,
    );
    expect((await c.call('patients.get', { id: patient.id })).familyName).toBe('Müller');
    expect(changesBefore.every((row) => row.author_id === sessionUser)).toBe(true);
  });

  it('records the session user as the author of every change', async () => {
    const c = await signedIn();
    const sessionUser = c.currentSession!.userId;
    const patient = await c.call('patients.create', { patient: patientInput() });
    await c.call('patients.update', {
      id: patient.id,
      patch: {
        familyName: 'Müller-Lüdenscheidt',
        alerts: [{ kind: 'medication', description: 'Warfarin', severity: 'high' }],
      },
    });
    await c.call('patients.archive', { id: patient.id });
    const rows = await c
      .openStore!.db.selectFrom('change_log')
      .select(['author_id', 'table_name', 'operation'])
      .where('subject_id', '=', patient.id)
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(new Set(rows.map((r) => r.author_id))).toEqual(new Set([sessionUser]));
    const history = await c.call('patients.history', { id: patient.id });
    expect(new Set(history.map((h) => h.authorName))).toEqual(new Set([ADMIN.displayName]));
  });
});
