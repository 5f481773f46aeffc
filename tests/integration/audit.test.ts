import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core';
import {
  COMMAND_NAMES,
  commands,
  type CommandName,
  type OutputOf,
} from '../../shared/ipc/contract';
import type { NewAppointmentInput } from '../../shared/ipc/scheduling';
import { patientInput, setUpCore } from '../support/core';
import { at, setUpBook, type TestBook } from './scheduling-clinic';

let core: Core | null = null;
afterEach(async () => {
  await core?.close();
  core = null;
});

function auditRows(c: Core): Array<Record<string, unknown>> {
  return c.openStore!.sqlite.prepare('SELECT * FROM audit_event ORDER BY seq').all() as Array<
    Record<string, unknown>
  >;
}

/** What fixtures share: the clinic's book, the patients, and what earlier commands returned. */
interface FixtureContext {
  core: Core;
  book: TestBook;
  patient: string;
  other: string;
  /** The appointment booked by `appointments.book`; chosen by the caller, as the form does. */
  appointment: string;
  outputs: { [N in CommandName]?: OutputOf<N> };
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`fixture order: ${what} is not there yet`);
  return value;
}

/**
 * Valid arguments for every command that reads or writes patient data. A new command of that kind
 * must add its fixture here, or the "every command" test fails. They run in this order, so a
 * fixture may use what an earlier one made (book, then move; list conflicts, then accept one).
 */
type Fixture = (ctx: FixtureContext) => unknown;
const PATIENT_FIXTURES: Partial<Record<CommandName, Fixture>> = {
  'patients.search': () => ({ query: 'mull' }),
  'patients.list': () => ({ offset: 0, limit: 10 }),
  'patients.get': ({ patient }) => ({ id: patient }),
  'patients.findDuplicates': () => ({
    givenNames: 'Zoë',
    familyName: 'Müller',
    dateOfBirth: '1985-03-12',
  }),
  'patients.create': () => ({
    patient: patientInput({ givenNames: 'Ana', familyName: 'Lopes', phones: [], email: null }),
    duplicatesReviewed: true,
  }),
  'patients.update': ({ patient }) => ({ id: patient, patch: { preferredName: 'Zo' } }),
  'patients.archive': ({ other }) => ({ id: other }),
  'patients.history': ({ patient }) => ({ id: patient }),
  'access.breakGlass': ({ patient }) => ({
    patientId: patient,
    reason: 'Patient collapsed in the waiting room',
  }),

  'appointments.range': () => ({ from: '2025-03-10', days: 7 }),
  'appointments.check': ({ patient, book, appointment }) => ({
    appointment: checkUpOnTuesday(patient, book, appointment),
  }),
  'appointments.book': ({ patient, book, appointment }) => ({
    appointment: checkUpOnTuesday(patient, book, appointment),
  }),
  'appointments.get': ({ appointment }) => ({ id: appointment }),
  'appointments.update': ({ appointment }) => ({
    id: appointment,
    changes: { start: at('2025-03-11', '09:30') },
  }),
  'appointments.setStatus': ({ appointment }) => ({ id: appointment, status: 'confirmed' }),
  'appointments.forPatient': ({ patient }) => ({ patientId: patient }),
  'conflicts.list': async ({ core, book }) => {
    // The dentist calls in sick for Tuesday: the booking now falls outside their hours.
    await core.call('scheduling.setProviderDay', {
      providerId: book.dentist,
      date: '2025-03-11',
      day: { hours: [] },
    });
    return { from: '2025-03-10', to: '2025-03-16' };
  },
  'conflicts.accept': ({ outputs }) => ({
    conflictId: need(need(outputs['conflicts.list'], 'the conflict inbox')[0], 'a conflict').id,
    reason: 'Covered by the locum',
  }),
  'appointments.cancel': ({ appointment }) => ({
    id: appointment,
    reason: 'Dentist away',
    by: 'clinic',
  }),
  'waitlist.add': ({ patient, book }) => ({
    entry: { patientId: patient, typeId: book.checkUp, asap: true },
  }),
  'waitlist.list': () => ({}),
  'waitlist.offers': ({ book }) => ({
    chairId: book.chairs[1],
    providerId: book.dentist,
    start: at('2025-03-12', '10:00'),
    end: at('2025-03-12', '10:30'),
  }),
  'waitlist.book': ({ book, outputs }) => ({
    entryId: need(outputs['waitlist.add'], 'the waitlist entry').id,
    appointmentId: uuidv7(),
    start: at('2025-03-12', '10:00'),
    chairId: book.chairs[1],
    providerId: book.dentist,
  }),
  'waitlist.remove': async ({ core, patient, book }) => {
    // The first entry was booked above; a patient still waiting is the one taken off.
    const entry = await core.call('waitlist.add', {
      entry: { patientId: patient, typeId: book.scale },
    });
    return { id: entry.id };
  },
  'recalls.set': ({ patient, book }) => ({
    patientId: patient,
    typeId: book.checkUp,
    intervalMonths: 6,
    dueDate: '2025-03-01',
  }),
  'recalls.list': () => ({ until: '2025-03-31' }),
  'recalls.stop': ({ outputs }) => ({ id: need(outputs['recalls.set'], 'the recall').id }),
};

function checkUpOnTuesday(patient: string, book: TestBook, id: string): NewAppointmentInput {
  return {
    id,
    patientId: patient,
    chairId: book.chairs[0],
    providerId: book.dentist,
    typeId: book.checkUp,
    start: at('2025-03-11', '09:00'),
  };
}

describe('audit trail', () => {
  it('every command that touches patient data leaves its event, naming the patient by id only', async () => {
    // Monday 10 March 2025, 08:00 in London: bookings on the following days are in opening hours.
    ({ core } = await setUpCore({ now: () => at('2025-03-10', '08:00') }));
    const book = await setUpBook(core);
    const patient = (await core.call('patients.create', { patient: patientInput() })).id;
    const other = (
      await core.call('patients.create', {
        patient: patientInput({
          givenNames: 'Ola',
          familyName: 'Nowak',
          phones: [],
          email: null,
          dateOfBirth: '1970-01-01',
        }),
      })
    ).id;
    const ctx: FixtureContext = { core, book, patient, other, appointment: uuidv7(), outputs: {} };
    const touching = COMMAND_NAMES.filter((n) => commands[n].touchesPatientData);
    const missing = touching.filter((n) => !PATIENT_FIXTURES[n]);
    expect(missing, 'add fixtures for these commands').toEqual([]);
    const inOrder = (Object.keys(PATIENT_FIXTURES) as CommandName[]).filter((n) =>
      touching.includes(n),
    );
    for (const name of inOrder) {
      const args = await PATIENT_FIXTURES[name]!(ctx);
      const before = auditRows(core).length;
      const result = await core.dispatch(name, args);
      expect(result.ok, `${name}: ${JSON.stringify(result)}`).toBe(true);
      if (result.ok) (ctx.outputs as Record<string, unknown>)[name] = result.value;
      const added = auditRows(core).slice(before);
      expect(
        added.some((e) => e.action === name || e.action === 'patient.break_glass'),
        name,
      ).toBe(true);
    }
    // Ids and field names only: no name, phone or allergy text anywhere in the trail.
    const dump = JSON.stringify(auditRows(core));
    for (const secret of [
      'Müller',
      'Zoë',
      'Nowak',
      '7911123456',
      'Penicillin',
      'zoe@example.org',
    ]) {
      expect(dump).not.toContain(secret);
    }
  });

  it('refuses to change or delete events, and verify finds the first edited or missing link', async () => {
    ({ core } = await setUpCore());
    const p = await core.call('patients.create', { patient: patientInput() });
    await core.call('patients.get', { id: p.id });
    expect(await core.call('audit.verify', {})).toMatchObject({ ok: true, firstBroken: null });
    const sqlite = core.openStore!.sqlite;
    expect(() => sqlite.prepare("UPDATE audit_event SET action = 'x' WHERE seq = 2").run()).toThrow(
      /cannot be changed/,
    );
    expect(() => sqlite.prepare('DELETE FROM audit_event WHERE seq = 2').run()).toThrow(
      /cannot be deleted/,
    );

    // Someone with the key drops the guard and edits an event in place.
    sqlite.exec('DROP TRIGGER audit_event_no_update; DROP TRIGGER audit_event_no_delete');
    sqlite.prepare('UPDATE audit_event SET actor_id = NULL WHERE seq = 3').run();
    const edited = await core.call('audit.verify', {});
    expect(edited).toMatchObject({ ok: false, firstBroken: { seq: 3 } });
    expect(edited.firstBroken!.reason).toMatch(/changed/);
  });

  it('detects a deleted event', async () => {
    ({ core } = await setUpCore());
    const p = await core.call('patients.create', { patient: patientInput() });
    await core.call('patients.get', { id: p.id });
    const sqlite = core.openStore!.sqlite;
    sqlite.exec('DROP TRIGGER audit_event_no_delete');
    sqlite.prepare('DELETE FROM audit_event WHERE seq = 4').run();
    expect(await core.call('audit.verify', {})).toMatchObject({
      ok: false,
      firstBroken: { seq: 4, reason: 'an event is missing' },
    });
  });

  it('lists and filters newest first, and exports CSV safe for spreadsheets', async () => {
    ({ core } = await setUpCore());
    const p = await core.call('patients.create', { patient: patientInput() });
    await core.call('patients.get', { id: p.id });
    const page = await core.call('audit.list', { patientId: p.id, limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.items[0]!.seq).toBeGreaterThan(page.items[1]!.seq);
    expect(page.items.every((e) => e.subjectId === p.id)).toBe(true);
    expect(page.nextBeforeSeq).toBe(page.items[1]!.seq);
    const opened = await core.call('audit.list', { action: 'patients.get', limit: 10 });
    expect(opened.items.map((e) => e.subjectId)).toEqual([p.id]);

    await core.call('access.breakGlass', {
      patientId: p.id,
      reason: '=HYPERLINK("http://x")  emergency',
    });
    const { csv, rows } = await core.call('audit.export', {});
    expect(rows).toBeGreaterThan(5);
    expect(csv.split('\r\n')[0]).toBe(
      'seq,id,at,actor_id,actor_name,action,subject_id,target_table,target_id,fields,reason',
    );
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")  emergency"`);
    expect(csv).not.toMatch(/,=HYPERLINK/);
  });

  it('filters by the clinic days, not UTC ones, with the last day included', async () => {
    // The test clinic is in Europe/London, an hour ahead of UTC in July.
    let clock = Date.parse('2025-07-01T22:30:00Z'); // 23:30 on 1 July, local
    ({ core } = await setUpCore({ now: () => clock }));
    const late = await core.call('patients.create', { patient: patientInput() });
    await core.call('patients.get', { id: late.id });
    clock = Date.parse('2025-07-01T23:30:00Z'); // 00:30 on 2 July, local
    await core.call('patients.get', { id: late.id });
    clock = Date.parse('2025-07-02T22:59:00Z'); // 23:59 on 2 July, local
    await core.call('patients.get', { id: late.id });
    clock = Date.parse('2025-07-02T23:00:00Z'); // midnight starting 3 July, local
    await core.call('patients.get', { id: late.id });

    const opened = (from: string, to: string) =>
      core!
        .call('audit.list', { action: 'patients.get', from, to, limit: 10 })
        .then((page) => page.items.map((e) => e.at).sort());
    expect(await opened('2025-07-02', '2025-07-02')).toEqual([
      '2025-07-01T23:30:00.000Z',
      '2025-07-02T22:59:00.000Z',
    ]);
    expect(await opened('2025-07-01', '2025-07-01')).toEqual(['2025-07-01T22:30:00.000Z']);
    expect(await opened('2025-07-03', '2025-07-03')).toEqual(['2025-07-02T23:00:00.000Z']);
    const exported = await core.call('audit.export', {
      action: 'patients.get',
      from: '2025-07-02',
      to: '2025-07-02',
    });
    expect(exported.rows).toBe(2);
  });

  it('records emergency access with a reason and keeps it for review', async () => {
    ({ core } = await setUpCore());
    const p = await core.call('patients.create', { patient: patientInput() });
    await expect(
      core.call('access.breakGlass', { patientId: p.id, reason: 'urgent' }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    const grant = await core.call('access.breakGlass', {
      patientId: p.id,
      reason: 'Patient collapsed at reception',
    });
    expect(Date.parse(grant.expiresAt) - Date.parse(grant.grantedAt)).toBe(60 * 60_000);
    expect((await core.call('access.listBreakGlass', {})).map((g) => g.id)).toEqual([grant.id]);
    const reviewed = await core.call('access.reviewBreakGlass', { id: grant.id });
    expect(reviewed.reviewedAt).not.toBeNull();
    expect(await core.call('access.listBreakGlass', {})).toEqual([]);
    await expect(core.call('access.reviewBreakGlass', { id: grant.id })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});
