import { v7 as uuidv7 } from 'uuid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core';
import { insertRecord, updateRecord } from '../../electron/core/db/changes';
import { AppError } from '../../shared/errors';
import type { NewAppointmentInput } from '../../shared/ipc/scheduling';
import {
  computeConflicts,
  findFreeSlots,
  shiftLocalDays,
  utcToZoned,
} from '../../shared/scheduling';
import { ADMIN, setUpCore } from '../support/core';
import { MIN, ZONE, at, newPatient, setUpBook, type TestBook } from './scheduling-clinic';

// Monday 10 March 2025, 08:00 in London (GMT, before the clocks change on 30 March).
let clock = at('2025-03-10', '08:00');
let core: Core;
let book: TestBook;
let zoe: string;
let omar: string;

beforeEach(async () => {
  clock = at('2025-03-10', '08:00');
  ({ core } = await setUpCore({ now: () => clock }));
  book = await setUpBook(core);
  zoe = await newPatient(core, 'Zoë', 'Müller', { preferredName: 'Zo' });
  omar = await newPatient(core, 'Omar', 'Haddad', { alerts: [] });
});
afterEach(async () => {
  await core.close();
});

function appointment(overrides: Partial<NewAppointmentInput> = {}): NewAppointmentInput {
  return {
    id: uuidv7(),
    patientId: zoe,
    chairId: book.chairs[0],
    providerId: book.dentist,
    typeId: book.checkUp,
    start: at('2025-03-11', '09:00'),
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

/** Every row the book keeps, and the change log: a write anywhere changes this. */
async function footprint(): Promise<string> {
  const sqlite = core.openStore!.sqlite;
  const tables = [
    'change_log',
    'appointment',
    'appointment_status_change',
    'conflict_acknowledgement',
    'waitlist_entry',
    'recall',
  ];
  return JSON.stringify(
    tables.map((t) => sqlite.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all()),
  );
}

describe('clinic set-up', () => {
  it('keeps chairs, providers, types, hours, closures and the policy, in display order', async () => {
    const setup = await core.call('scheduling.setup', {});
    expect(setup.setup.chairs.map((c) => c.name)).toEqual(['Chair 1', 'Chair 2', 'Chair 3']);
    expect(setup.setup.providers.map((p) => [p.name, p.kind, p.colour])).toEqual([
      ['Dr Rao', 'dentist', '#1E88E5'],
      ['Hana Hygienist', 'hygienist', '#43A047'],
    ]);
    expect(setup.setup.openingHours.weekly.sat).toEqual([{ start: '09:00', end: '13:00' }]);
    expect(setup.setup.openingHours.weekly.sun).toEqual([]);
    const dentist = setup.setup.providerSchedules.find((s) => s.providerId === book.dentist);
    expect(dentist?.weekly.mon?.breaks).toEqual([{ start: '12:30', end: '13:30' }]);
    expect(dentist?.weekly.sat).toEqual({ hours: [], breaks: [] });
    expect(setup.lateCancellation).toEqual({ kind: 'hours_before', hours: 24 });

    const closure = uuidv7();
    let view = await core.call('scheduling.saveClosure', {
      closure: { id: closure, startDate: '2025-04-18', endDate: '2025-04-21', reason: 'Easter' },
    });
    expect(view.setup.closures).toMatchObject([
      { id: closure, startDate: '2025-04-18', endDate: '2025-04-21', reason: 'Easter' },
    ]);
    view = await core.call('scheduling.setPolicy', {
      lateCancellation: { kind: 'day_before_at', daysBefore: 1, time: '17:00' },
    });
    expect(view.lateCancellation).toEqual({ kind: 'day_before_at', daysBefore: 1, time: '17:00' });
    // Reordering and retiring: the chair stays (old bookings name it) but is marked.
    await core.call('scheduling.saveChair', {
      chair: { id: book.chairs[0], name: 'Chair 1', position: 5 },
    });
    view = await core.call('scheduling.saveChair', {
      chair: { id: book.chairs[2], name: 'Chair 3 (old)', active: false },
    });
    expect(view.setup.chairs.map((c) => [c.name, c.active])).toEqual([
      ['Chair 2', true],
      ['Chair 3 (old)', false],
      ['Chair 1', true],
    ]);
    view = await core.call('scheduling.removeClosure', { id: closure });
    expect(view.setup.closures).toEqual([]);
    // A provider's day off for one date, then back to the weekday's hours.
    view = await core.call('scheduling.setProviderDay', {
      providerId: book.dentist,
      date: '2025-03-12',
      day: { hours: [] },
    });
    expect(view.setup.providerSchedules.find((s) => s.providerId === book.dentist)?.dates).toEqual([
      { date: '2025-03-12', hours: [], breaks: [] },
    ]);
    view = await core.call('scheduling.setProviderDay', {
      providerId: book.dentist,
      date: '2025-03-12',
      day: null,
    });
    expect(view.setup.providerSchedules.find((s) => s.providerId === book.dentist)?.dates).toEqual(
      [],
    );
  });

  it("writes two workstations' edits of the same weekday to the same row", async () => {
    const before = await core.openStore!.db.selectFrom('opening_hours').selectAll().execute();
    await core.call('scheduling.setOpeningHours', {
      openingHours: { weekly: { mon: [{ start: '07:30', end: '19:00' }] } },
    });
    const after = await core.openStore!.db.selectFrom('opening_hours').selectAll().execute();
    expect(after.map((r) => r.id).sort()).toEqual(before.map((r) => r.id).sort());
    expect(after.find((r) => r.day === 'mon')?.hours).toBe('[{"start":"07:30","end":"19:00"}]');
  });

  it('lets only the practice manager change the set-up, and the auditor see nothing', async () => {
    const userId = core.currentSession!.userId;
    for (const role of ['receptionist', 'auditor']) {
      await core
        .openStore!.db.updateTable('staff')
        .set({ role })
        .where('id', '=', userId)
        .execute();
      await core.call('session.logout', {});
      await core.call('session.login', { username: ADMIN.username, password: ADMIN.password });
      const saveChair = await core.dispatch('scheduling.saveChair', {
        chair: { id: uuidv7(), name: 'Chair 9' },
      });
      expect(saveChair, role).toMatchObject({ ok: false, error: { code: 'NOT_ALLOWED' } });
      const range = await core.dispatch('appointments.range', { from: '2025-03-11' });
      const closure = await core.dispatch('scheduling.saveClosure', {
        closure: { id: uuidv7(), startDate: '2025-05-05', endDate: '2025-05-05' },
      });
      if (role === 'receptionist') {
        expect(range.ok).toBe(true);
        expect(closure.ok).toBe(true);
      } else {
        expect(range).toMatchObject({ ok: false, error: { code: 'NOT_ALLOWED' } });
        expect(closure).toMatchObject({ ok: false, error: { code: 'NOT_ALLOWED' } });
      }
    }
  });
});

describe('booking', () => {
  it('books into a free slot and shows it on the day with names, badges and who booked', async () => {
    const input = appointment({ notes: 'Sensitive lower left' });
    const booked = await core.call('appointments.book', { appointment: input });
    expect(booked).toMatchObject({
      id: input.id,
      start: at('2025-03-11', '09:00'),
      end: at('2025-03-11', '09:30'),
      status: 'booked',
      notes: 'Sensitive lower left',
      patient: {
        givenNames: 'Zoë',
        familyName: 'Müller',
        preferredName: 'Zo',
        alertKinds: ['allergy'],
      },
    });
    const day = await core.call('appointments.range', { from: '2025-03-11' });
    expect(day.dates).toEqual([
      {
        date: '2025-03-11',
        start: at('2025-03-11', '00:00'),
        end: at('2025-03-12', '00:00'),
        minutes: 1440,
      },
    ]);
    expect(day.appointments.map((a) => a.id)).toEqual([input.id]);
    expect(day.conflicts).toEqual([]);
    const detail = await core.call('appointments.get', { id: input.id });
    expect(detail.history).toEqual([
      {
        status: 'booked',
        previousStatus: null,
        at: clock,
        byName: ADMIN.displayName,
        reason: null,
      },
    ]);
    // The whole week, and the patient's own list.
    const week = await core.call('appointments.range', { from: '2025-03-10', days: 7 });
    expect(week.dates.map((d) => d.date)).toEqual([
      '2025-03-10',
      '2025-03-11',
      '2025-03-12',
      '2025-03-13',
      '2025-03-14',
      '2025-03-15',
      '2025-03-16',
    ]);
    expect(week.appointments.map((a) => a.id)).toEqual([input.id]);
    const mine = await core.call('appointments.forPatient', { patientId: zoe });
    expect(mine.upcoming.map((a) => a.id)).toEqual([input.id]);
    expect(mine.past).toEqual([]);
  });

  it('shows a renamed patient and a new allergy on the book at once, whoever changed them', async () => {
    const a = await core.call('appointments.book', { appointment: appointment() });
    await core.call('appointments.book', {
      appointment: appointment({
        patientId: omar,
        chairId: book.chairs[1],
        providerId: book.hygienist,
        typeId: book.scale,
      }),
    });
    const names = async () =>
      (await core.call('appointments.range', { from: '2025-03-11' })).appointments.map((x) => [
        x.patient?.preferredName,
        x.patient?.familyName,
        x.patient?.alertKinds,
      ]);
    expect(await names()).toEqual([
      ['Zo', 'Müller', ['allergy']],
      [null, 'Haddad', []],
    ]);
    await core.call('patients.update', { id: zoe, patch: { preferredName: 'Zozo' } });
    await core.call('patients.update', {
      id: omar,
      patch: { alerts: [{ kind: 'medication', description: 'Warfarin', severity: 'high' }] },
    });
    expect(await names()).toEqual([
      ['Zozo', 'Müller', ['allergy']],
      [null, 'Haddad', ['medication']],
    ]);
    // A change that did not come through the patient service (as sync applies one) shows too.
    const store = core.openStore!;
    await store.db.transaction().execute((tx) =>
      updateRecord(
        tx,
        store.writer(null, () => new Date(clock)),
        'patient',
        zoe,
        { family_name: 'Mueller' },
      ),
    );
    expect((await names())[0]).toEqual(['Zozo', 'Mueller', ['allergy']]);
    // Notes are flagged on the book and read with the appointment.
    await core.call('appointments.update', { id: a.id, changes: { notes: 'Bring X-rays' } });
    const [card] = (await core.call('appointments.range', { from: '2025-03-11' })).appointments;
    expect(card).toMatchObject({ id: a.id, hasNotes: true, notes: null });
    expect((await core.call('appointments.get', { id: a.id })).notes).toBe('Bring X-rays');
  });

  it('refuses bad input with typed errors and writes nothing', async () => {
    await core.call('appointments.book', { appointment: appointment() });
    const before = await footprint();
    const cases: Array<[string, NewAppointmentInput, string]> = [
      ['end before start', appointment({ end: at('2025-03-11', '08:30') }), 'end'],
      ['zero length (end)', appointment({ end: at('2025-03-11', '09:00') }), 'end'],
      ['zero length', appointment({ durationMinutes: 0 }), 'durationMinutes'],
      ['negative length', appointment({ durationMinutes: -30 }), 'durationMinutes'],
      ['off the grid', appointment({ start: at('2025-03-11', '09:00') + 2 * MIN }), 'start'],
      ['length off the grid', appointment({ durationMinutes: 32 }), 'durationMinutes'],
      ['unknown chair', appointment({ chairId: uuidv7() }), 'chairId'],
      ['unknown provider', appointment({ providerId: uuidv7() }), 'providerId'],
      ['unknown type', appointment({ typeId: uuidv7() }), 'typeId'],
      ['type the provider cannot do', appointment({ providerId: book.hygienist }), 'providerId'],
      ['unknown patient', appointment({ patientId: uuidv7() }), 'patientId'],
      ['longer than 12 hours', appointment({ durationMinutes: 13 * 60 }), 'durationMinutes'],
    ];
    for (const [label, input, path] of cases) {
      const e = await failure(core.call('appointments.book', { appointment: input }));
      expect(e.code, label).toBe('VALIDATION');
      expect(
        e.fields?.map((f) => f.path),
        label,
      ).toContain(path);
    }
    // Shape errors are refused at the door, typed the same way.
    for (const bad of [{ start: 1.5 }, { start: -1 }, { id: 'not-a-uuid' }, { chairId: 42 }]) {
      const r = await core.dispatch('appointments.book', {
        appointment: { ...appointment(), ...bad },
      });
      expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    }
    // Moves are checked by the same rules.
    const [existing] = (await core.call('appointments.range', { from: '2025-03-11' })).appointments;
    for (const [changes, path] of [
      [{ end: at('2025-03-11', '08:00') }, 'end'],
      [{ durationMinutes: -5 }, 'durationMinutes'],
      [{ start: at('2025-03-11', '10:01') }, 'start'],
      [{ chairId: uuidv7() }, 'chairId'],
      [{ providerId: book.hygienist }, 'providerId'],
    ] as const) {
      const e = await failure(core.call('appointments.update', { id: existing!.id, changes }));
      expect(e.code).toBe('VALIDATION');
      expect(e.fields?.map((f) => f.path)).toContain(path);
    }
    expect(await footprint()).toBe(before);
  });

  it('refuses a double booking with a clear message, then books it with an override and a reason', async () => {
    const first = await core.call('appointments.book', { appointment: appointment() });
    const second = appointment({ patientId: omar, start: at('2025-03-11', '09:15') });
    const before = await footprint();

    const refused = await failure(core.call('appointments.book', { appointment: second }));
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toContain('Chair 1 is double-booked 09:15–09:30');
    expect(refused.message).toContain('Dr Rao is double-booked 09:15–09:30');
    expect(refused.message).not.toMatch(/Zo|Müller|Omar|Haddad/);
    expect(await footprint()).toBe(before);

    const check = await core.call('appointments.check', { appointment: second });
    expect(check.openConflictIds.sort()).toEqual(
      [
        `chair:${[first.id, second.id].sort().join(':')}`,
        `provider:${[first.id, second.id].sort().join(':')}`,
      ].sort(),
    );
    // An override that skips one of the clashes, or has no reason, is refused too.
    const partial = await failure(
      core.call('appointments.book', {
        appointment: second,
        override: { reason: 'Emergency', conflictIds: check.openConflictIds.slice(0, 1) },
      }),
    );
    expect(partial.code).toBe('CONFLICT');
    const blank = await core.dispatch('appointments.book', {
      appointment: second,
      override: { reason: '  ', conflictIds: check.openConflictIds },
    });
    expect(blank).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(await footprint()).toBe(before);

    clock += 5 * MIN;
    const booked = await core.call('appointments.book', {
      appointment: second,
      override: { reason: 'Emergency: swelling', conflictIds: check.openConflictIds },
    });
    expect(booked.status).toBe('booked');
    const detail = await core.call('appointments.get', { id: second.id });
    expect(
      detail.acknowledgements.map((a) => [a.conflictId, a.reason, a.byName, a.at]).sort(),
    ).toEqual(
      check.openConflictIds
        .map((id) => [id, 'Emergency: swelling', ADMIN.displayName, clock])
        .sort(),
    );
    // The book shows the accepted double booking; the inbox has nothing open.
    const day = await core.call('appointments.range', { from: '2025-03-11' });
    expect(day.conflicts.map((c) => [c.kind, c.acknowledged])).toEqual([
      ['chair', true],
      ['provider', true],
    ]);
    expect(await core.call('conflicts.list', { from: '2025-03-10', to: '2025-03-16' })).toEqual([]);
    const accepted = await core.call('conflicts.list', {
      from: '2025-03-10',
      to: '2025-03-16',
      includeAccepted: true,
    });
    expect(accepted.map((c) => c.kind)).toEqual(['chair', 'provider']);
    expect(accepted[0]!.appointments.map((a) => a.id).sort()).toEqual([first.id, second.id].sort());

    // A third booking in the same chair needs its own reason: the earlier one covers only its pair.
    const third = appointment({
      patientId: omar,
      chairId: book.chairs[0],
      providerId: book.hygienist,
      typeId: book.scale,
      start: at('2025-03-11', '09:20'),
    });
    const e = await failure(core.call('appointments.book', { appointment: third }));
    expect(e.code).toBe('CONFLICT');
  });

  it('refuses booking outside hours, in a break, on a closure, unless overridden', async () => {
    const closure = uuidv7();
    await core.call('scheduling.saveClosure', {
      closure: {
        id: closure,
        startDate: '2025-03-14',
        endDate: '2025-03-14',
        chairId: book.chairs[1],
        reason: 'Repairs',
      },
    });
    const cases: Array<[NewAppointmentInput, RegExp]> = [
      [appointment({ start: at('2025-03-11', '07:30') }), /Outside opening hours 07:30–08:00/],
      [appointment({ start: at('2025-03-11', '12:30') }), /Dr Rao is not working 12:30–13:00/],
      [appointment({ start: at('2025-03-16', '10:00') }), /Outside opening hours/],
      [
        appointment({ chairId: book.chairs[1], start: at('2025-03-14', '10:00') }),
        /Chair 2 is closed 10:00–10:30/,
      ],
    ];
    for (const [input, message] of cases) {
      const e = await failure(core.call('appointments.book', { appointment: input }));
      expect(e.code).toBe('CONFLICT');
      expect(e.message).toMatch(message);
      const check = await core.call('appointments.check', { appointment: input });
      await core.call('appointments.book', {
        appointment: input,
        override: { reason: 'Agreed with the dentist', conflictIds: check.openConflictIds },
      });
    }
  });
});

describe('moving and resizing', () => {
  it('moves to another chair and time, resizes, and refuses a move into a clash', async () => {
    const a = await core.call('appointments.book', { appointment: appointment() });
    const b = await core.call('appointments.book', {
      appointment: appointment({
        patientId: omar,
        chairId: book.chairs[1],
        providerId: book.hygienist,
        typeId: book.scale,
        start: at('2025-03-11', '10:00'),
      }),
    });
    const moved = await core.call('appointments.update', {
      id: a.id,
      changes: { chairId: book.chairs[2], start: at('2025-03-11', '11:00') },
    });
    expect(moved).toMatchObject({
      chairId: book.chairs[2],
      start: at('2025-03-11', '11:00'),
      end: at('2025-03-11', '11:30'),
    });
    const resized = await core.call('appointments.update', {
      id: a.id,
      changes: { end: at('2025-03-11', '11:45') },
    });
    expect(resized.end).toBe(at('2025-03-11', '11:45'));
    const before = await footprint();
    const e = await failure(
      core.call('appointments.update', {
        id: a.id,
        changes: { chairId: book.chairs[1], start: at('2025-03-11', '10:15') },
      }),
    );
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toContain('Chair 2 is double-booked 10:15–10:45');
    expect(await footprint()).toBe(before);
    expect((await core.call('appointments.get', { id: b.id })).chairId).toBe(book.chairs[1]);
  });

  it('asks for a fresh reason when an accepted double booking is moved', async () => {
    const a = await core.call('appointments.book', { appointment: appointment() });
    const second = appointment({
      patientId: omar,
      chairId: book.chairs[1],
      start: at('2025-03-11', '09:00'),
    });
    const check = await core.call('appointments.check', { appointment: second });
    await core.call('appointments.book', {
      appointment: second,
      override: { reason: 'Two short visits', conflictIds: check.openConflictIds },
    });
    expect(await core.call('conflicts.list', { from: '2025-03-11', to: '2025-03-11' })).toEqual([]);
    // Notes alone keep the acceptance.
    await core.call('appointments.update', { id: a.id, changes: { notes: 'Bring X-rays' } });
    expect(await core.call('conflicts.list', { from: '2025-03-11', to: '2025-03-11' })).toEqual([]);
    const e = await failure(
      core.call('appointments.update', { id: a.id, changes: { start: at('2025-03-11', '09:05') } }),
    );
    expect(e.code).toBe('CONFLICT');
    const moved = appointment({ id: a.id, start: at('2025-03-11', '09:05') });
    const again = await core.call('appointments.check', { appointment: moved });
    expect(again.openConflictIds).toHaveLength(1);
    await core.call('appointments.update', {
      id: a.id,
      changes: { start: at('2025-03-11', '09:05') },
      override: { reason: 'Still two short visits', conflictIds: again.openConflictIds },
    });
    const reasons = (await core.call('appointments.get', { id: a.id })).acknowledgements.map(
      (k) => k.reason,
    );
    expect(reasons).toEqual(['Still two short visits']);
  });
});

describe('status flow', () => {
  it('goes booked, confirmed, arrived, in chair, completed, recording who and when', async () => {
    const a = await core.call('appointments.book', {
      appointment: appointment({ start: at('2025-03-10', '09:00') }),
    });
    const steps = ['confirmed', 'arrived', 'in_chair', 'completed'] as const;
    for (const status of steps) {
      clock += 10 * MIN;
      expect((await core.call('appointments.setStatus', { id: a.id, status })).status).toBe(status);
    }
    const detail = await core.call('appointments.get', { id: a.id });
    expect(detail.history.map((h) => [h.previousStatus, h.status, h.byName])).toEqual([
      [null, 'booked', ADMIN.displayName],
      ['booked', 'confirmed', ADMIN.displayName],
      ['confirmed', 'arrived', ADMIN.displayName],
      ['arrived', 'in_chair', ADMIN.displayName],
      ['in_chair', 'completed', ADMIN.displayName],
    ]);
    expect(detail.history.map((h) => h.at)).toEqual([
      at('2025-03-10', '08:00'),
      at('2025-03-10', '08:10'),
      at('2025-03-10', '08:20'),
      at('2025-03-10', '08:30'),
      at('2025-03-10', '08:40'),
    ]);
    // Setting the same status again changes nothing.
    const before = await footprint();
    await core.call('appointments.setStatus', { id: a.id, status: 'completed' });
    expect(await footprint()).toBe(before);
  });

  it('refuses impossible steps and writes nothing', async () => {
    const today = await core.call('appointments.book', {
      appointment: appointment({ start: at('2025-03-10', '09:00') }),
    });
    const tomorrow = await core.call('appointments.book', { appointment: appointment() });
    const before = await footprint();
    for (const [id, status] of [
      [today.id, 'completed'],
      [today.id, 'in_chair'],
      [today.id, 'no_show'], // 09:00 has not come yet at 08:00
      [tomorrow.id, 'arrived'], // checked in on the day only
    ] as const) {
      const e = await failure(core.call('appointments.setStatus', { id, status }));
      expect(e.code, `${status}`).toBe('VALIDATION');
    }
    expect(await footprint()).toBe(before);
    clock = at('2025-03-10', '09:20');
    expect(
      (await core.call('appointments.setStatus', { id: today.id, status: 'no_show' })).status,
    ).toBe('no_show');
  });

  it('reinstates a cancelled appointment only if its time is still free (or overridden)', async () => {
    const a = await core.call('appointments.book', { appointment: appointment() });
    await core.call('appointments.cancel', { id: a.id, reason: 'Feeling unwell', by: 'patient' });
    const other = await core.call('appointments.book', {
      appointment: appointment({ patientId: omar, start: at('2025-03-11', '09:00') }),
    });
    expect(other.status).toBe('booked');
    const e = await failure(core.call('appointments.setStatus', { id: a.id, status: 'booked' }));
    expect(e.code).toBe('CONFLICT');
    await core.call('appointments.cancel', {
      id: other.id,
      reason: 'Moved to next week',
      by: 'clinic',
    });
    const back = await core.call('appointments.setStatus', { id: a.id, status: 'booked' });
    expect(back).toMatchObject({ status: 'booked', cancelReason: null, lateCancellation: null });
  });
});

describe('cancellation', () => {
  it('flags a late cancellation by the patient under the notice policy, never the clinic', async () => {
    const soon = await core.call('appointments.book', { appointment: appointment() });
    const later = await core.call('appointments.book', {
      appointment: appointment({ start: at('2025-03-13', '10:00') }),
    });
    const byClinic = await core.call('appointments.book', {
      appointment: appointment({ start: at('2025-03-11', '14:00') }),
    });
    // Monday 08:00: the 09:00 Tuesday appointment is 25 hours away, so still in time.
    expect(
      (await core.call('appointments.cancel', { id: soon.id, reason: 'Work', by: 'patient' })).late,
    ).toBe(false);
    // Half an hour before: too late for a patient, never held against them when the clinic cancels.
    clock = at('2025-03-11', '13:30');
    await core.call('appointments.setStatus', { id: byClinic.id, status: 'confirmed' });
    const clinic = await core.call('appointments.cancel', {
      id: byClinic.id,
      reason: 'Dentist ill',
      by: 'clinic',
    });
    expect(clinic.late).toBe(false);
    const history = (await core.call('appointments.get', { id: byClinic.id })).history;
    expect(history.at(-1)).toMatchObject({
      status: 'cancelled',
      previousStatus: 'confirmed',
      reason: 'Dentist ill',
    });
    // Wednesday 10:05: Thursday's 10:00 is less than 24 hours away.
    clock = at('2025-03-12', '10:05');
    const late = await core.call('appointments.cancel', {
      id: later.id,
      reason: 'Car broke down',
      by: 'patient',
    });
    expect(late.late).toBe(true);
    expect(late.appointment).toMatchObject({
      status: 'cancelled',
      lateCancellation: true,
      cancelReason: 'Car broke down',
      cancelledBy: 'patient',
    });
    // A completed appointment cannot be cancelled.
    const done = await core.call('appointments.book', {
      appointment: appointment({ start: at('2025-03-12', '15:00') }),
    });
    clock = at('2025-03-12', '15:00');
    await core.call('appointments.setStatus', { id: done.id, status: 'arrived' });
    await core.call('appointments.setStatus', { id: done.id, status: 'completed' });
    expect(
      (await failure(core.call('appointments.cancel', { id: done.id, reason: 'x', by: 'patient' })))
        .code,
    ).toBe('VALIDATION');
  });
});

describe('free slots', () => {
  it('finds the next free slot around bookings, breaks and closures, and it books cleanly', async () => {
    // Dr Rao is busy 08:00-12:30 on Tuesday, then at lunch until 13:30.
    for (let t = at('2025-03-11', '08:00'); t < at('2025-03-11', '12:30'); t += 30 * MIN) {
      await core.call('appointments.book', {
        appointment: appointment({
          patientId: omar,
          start: t,
          chairId: book.chairs[t % 3 === 0 ? 0 : 1],
        }),
      });
    }
    const slots = await core.call('appointments.freeSlots', {
      typeId: book.checkUp,
      providerId: book.dentist,
      fromDate: '2025-03-11',
      weeks: 2,
      limit: 3,
      stepMinutes: 15,
    });
    expect(slots.map((s) => [s.date, s.time])).toEqual([
      ['2025-03-11', '13:30'],
      ['2025-03-11', '13:45'],
      ['2025-03-11', '14:00'],
    ]);
    const slot = slots[0]!;
    const booked = await core.call('appointments.book', {
      appointment: {
        id: uuidv7(),
        patientId: zoe,
        typeId: book.checkUp,
        chairId: slot.chairId,
        providerId: slot.providerId,
        start: slot.start,
      },
    });
    expect(booked.end).toBe(slot.end);
    // The patient's own bookings count: Zoë is busy 13:30-14:00 now.
    const forZoe = await core.call('appointments.freeSlots', {
      typeId: book.scale,
      providerId: book.hygienist,
      patientId: zoe,
      fromDate: '2025-03-11',
      notBefore: at('2025-03-11', '13:00'),
      weeks: 1,
      limit: 2,
      stepMinutes: 15,
    });
    expect(forZoe.map((s) => s.time)).toEqual(['14:00', '14:15']);
    const forAnyone = await core.call('appointments.freeSlots', {
      typeId: book.scale,
      providerId: book.hygienist,
      fromDate: '2025-03-11',
      notBefore: at('2025-03-11', '13:00'),
      weeks: 1,
      limit: 2,
      stepMinutes: 15,
    });
    expect(forAnyone.map((s) => s.time)).toEqual(['13:00', '13:15']);
  });

  it('gives the same answer as a search over every appointment of the horizon', async () => {
    // A busy fortnight: every chair mostly full, in a pattern, with gaps of various lengths.
    const base = at('2025-03-10', '08:00');
    let n = 0;
    for (let day = 0; day < 12; day++) {
      for (const [c, chair] of book.chairs.entries()) {
        let t = shiftLocalDays(base, day, ZONE);
        const end = t + 10 * 60 * MIN;
        while (t < end) {
          n++;
          const length = [30, 45, 60][(n + c) % 3]!;
          if (n % 7 !== 0) {
            await insertDirect(
              chair,
              c === 2 ? book.hygienist : book.dentist,
              t,
              t + length * MIN,
              c === 2 ? book.scale : book.checkUp,
            );
          }
          t += (length + (n % 5 === 0 ? 15 : 0)) * MIN;
        }
      }
    }
    const setup = await core.call('scheduling.setup', {});
    const everything = await core.call('appointments.range', { from: '2025-03-03', days: 7 });
    const all = [
      ...everything.appointments,
      ...(await core.call('appointments.range', { from: '2025-03-10', days: 7 })).appointments,
      ...(await core.call('appointments.range', { from: '2025-03-17', days: 7 })).appointments,
      ...(await core.call('appointments.range', { from: '2025-03-24', days: 7 })).appointments,
    ];
    const unique = [...new Map(all.map((a) => [a.id, a])).values()];
    const requests = [
      {
        typeId: book.checkUp,
        providerId: book.dentist,
        fromDate: '2025-03-10',
        weeks: 3,
        limit: 25,
      },
      { typeId: book.scale, fromDate: '2025-03-10', weeks: 3, limit: 40 },
      { durationMinutes: 60, chairId: book.chairs[2], fromDate: '2025-03-11', weeks: 2, limit: 15 },
      {
        typeId: book.extraction,
        providerId: book.dentist,
        chairId: book.chairs[0],
        fromDate: '2025-03-10',
        weeks: 3,
        limit: 10,
        preferredWeekdays: ['tue', 'thu'] as const,
      },
      {
        typeId: book.checkUp,
        patientId: zoe,
        fromDate: '2025-03-10',
        weeks: 2,
        limit: 30,
        maxPerDay: 2,
        preferredTimeRanges: [{ start: '08:00', end: '10:00' }],
      },
    ];
    for (const request of requests) {
      const req = {
        ...request,
        preferredWeekdays: request.preferredWeekdays ? [...request.preferredWeekdays] : undefined,
      };
      const fromCore = await core.call('appointments.freeSlots', req);
      const reference = findFreeSlots(req, { setup: setup.setup, appointments: unique });
      expect(fromCore, JSON.stringify(request)).toEqual(reference);
      expect(fromCore.length).toBeGreaterThan(0);
    }
  });
});

describe('reading a period', () => {
  it('finds what runs into the day from the evening before, however long it is', async () => {
    const [c1, c2] = book.chairs;
    const evening = (time: string) => at('2025-03-10', time);
    const night = (time: string) => at('2025-03-11', time);
    // Over two hours, starting more than two hours before midnight.
    const long = await insertDirect(
      c1,
      book.dentist,
      evening('21:30'),
      night('00:15'),
      book.checkUp,
      zoe,
    );
    // Over two hours, starting exactly two hours before; then exactly two hours long.
    const edge = await insertDirect(
      c1,
      book.dentist,
      evening('22:00'),
      night('00:05'),
      book.checkUp,
      omar,
    );
    const twoHours = await insertDirect(
      c1,
      book.hygienist,
      evening('22:30'),
      night('00:30'),
      book.scale,
      zoe,
    );
    // Over by midnight, or ending on the stroke of it.
    await insertDirect(c2, book.dentist, evening('20:00'), evening('23:59'), book.checkUp, omar);
    await insertDirect(c2, book.hygienist, evening('21:00'), night('00:00'), book.scale, omar);
    // Six hours, then cancelled: on the book, in no conflict.
    const cancelled = await insertDirect(
      c2,
      book.dentist,
      evening('19:00'),
      night('01:00'),
      book.checkUp,
      zoe,
    );
    await core.call('appointments.cancel', { id: cancelled, reason: 'Unwell', by: 'patient' });

    const day = await core.call('appointments.range', { from: '2025-03-11' });
    expect(day.appointments.map((a) => a.id)).toEqual([cancelled, long, edge, twoHours]);
    const inbox = await core.call('conflicts.list', { from: '2025-03-11', to: '2025-03-11' });
    const pairs = (ids: string[][]) => ids.map((pair) => [...pair].sort().join('+')).sort();
    expect(pairs(inbox.filter((c) => c.kind === 'chair').map((c) => c.appointmentIds))).toEqual(
      pairs([
        [long, edge],
        [long, twoHours],
        [edge, twoHours],
      ]),
    );
    // The same as the rules give over everything booked that evening, cut to the day.
    const { setup } = await core.call('scheduling.setup', {});
    const evenings = await core.call('appointments.range', { from: '2025-03-10' });
    const bounds = day.dates[0]!;
    const reference = computeConflicts({ setup, appointments: evenings.appointments }).filter(
      (c) => c.end > bounds.start && c.start < bounds.end,
    );
    expect(inbox.map((c) => c.id).sort()).toEqual(reference.map((c) => c.id).sort());
    expect(day.conflicts.map((c) => c.id).sort()).toEqual(
      computeConflicts({ setup, appointments: day.appointments })
        .map((c) => c.id)
        .sort(),
    );
  });

  it('never shows what another command has not committed', async () => {
    const store = core.openStore!;
    const id = uuidv7();
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // A write (a sync apply, say) that stays open a while, then rolls back.
    const write = store.db
      .transaction()
      .execute(async (tx) => {
        await insertRecord(
          tx,
          store.writer(null, () => new Date(clock)),
          'appointment',
          {
            id,
            patient_id: zoe,
            chair_id: book.chairs[0],
            provider_id: book.dentist,
            type_id: book.checkUp,
            starts_at: at('2025-03-11', '09:00'),
            ends_at: at('2025-03-11', '09:30'),
            status: 'booked',
            notes: null,
            cancel_reason: null,
            cancelled_by: null,
            late_cancellation: null,
          },
        );
        written();
        await released;
        throw new Error('rolled back on purpose');
      })
      .catch((e: unknown) => e);
    await wrote;
    const day = core.call('appointments.range', { from: '2025-03-11' });
    const inbox = core.call('conflicts.list', { from: '2025-03-11', to: '2025-03-11' });
    const slots = core.call('appointments.freeSlots', {
      typeId: book.checkUp,
      providerId: book.dentist,
      chairId: book.chairs[0],
      fromDate: '2025-03-11',
      weeks: 1,
      limit: 1,
    });
    // The reads are under way while the write is open: they must wait for it, not read it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    expect(await write).toMatchObject({ message: 'rolled back on purpose' });
    expect((await day).appointments).toEqual([]);
    expect(await inbox).toEqual([]);
    expect((await slots).map((s) => s.start)).toEqual([at('2025-03-11', '08:00')]);
  });
});

/** An appointment written the way sync applies one: no checks, just the recorded row. */
async function insertDirect(
  chairId: string,
  providerId: string,
  start: number,
  end: number,
  typeId: string,
  patientId = omar,
  id = uuidv7(),
) {
  const store = core.openStore!;
  await store.db.transaction().execute(async (tx) => {
    await insertRecord(
      tx,
      store.writer(null, () => new Date(clock)),
      'appointment',
      {
        id,
        patient_id: patientId,
        chair_id: chairId,
        provider_id: providerId,
        type_id: typeId,
        starts_at: start,
        ends_at: end,
        status: 'booked',
        notes: null,
        cancel_reason: null,
        cancelled_by: null,
        late_cancellation: null,
      },
    );
  });
  return id;
}

describe('conflict inbox', () => {
  it('lists bookings made on two offline workstations, and clears when accepted', async () => {
    // Both workstations booked Chair 1 at 10:00; sync brought both rows here unchecked.
    const a = await insertDirect(
      book.chairs[0],
      book.dentist,
      at('2025-03-12', '10:00'),
      at('2025-03-12', '10:30'),
      book.checkUp,
      zoe,
    );
    const b = await insertDirect(
      book.chairs[0],
      book.hygienist,
      at('2025-03-12', '10:15'),
      at('2025-03-12', '11:00'),
      book.scale,
      omar,
    );
    const inbox = await core.call('conflicts.list', { from: '2025-03-10', to: '2025-03-23' });
    expect(inbox.map((c) => [c.kind, c.appointmentIds, c.description])).toEqual([
      ['chair', [a, b].sort(), 'Chair 1 is double-booked 2025-03-12 10:15–10:30'],
    ]);
    expect(inbox[0]!.appointments.map((x) => x.patient?.familyName).sort()).toEqual([
      'Haddad',
      'Müller',
    ]);
    const day = await core.call('appointments.range', { from: '2025-03-12' });
    expect(day.conflicts.map((c) => [c.id, c.acknowledged])).toEqual([[inbox[0]!.id, false]]);

    const accepted = await core.call('conflicts.accept', {
      conflictId: inbox[0]!.id,
      reason: 'Short consult in between',
    });
    expect(accepted.acknowledged).toBe(true);
    expect(await core.call('conflicts.list', { from: '2025-03-10', to: '2025-03-23' })).toEqual([]);
    // Accepting again changes nothing; a resolved or made-up conflict is not found.
    const before = await footprint();
    await core.call('conflicts.accept', { conflictId: inbox[0]!.id, reason: 'Again' });
    expect(await footprint()).toBe(before);
    const e = await failure(
      core.call('conflicts.accept', { conflictId: `chair:${uuidv7()}:${uuidv7()}`, reason: 'No' }),
    );
    expect(e.code).toBe('NOT_FOUND');
  });

  it('resolves by moving or cancelling one side', async () => {
    await insertDirect(
      book.chairs[0],
      book.dentist,
      at('2025-03-12', '10:00'),
      at('2025-03-12', '10:30'),
      book.checkUp,
      zoe,
    );
    const b = await insertDirect(
      book.chairs[0],
      book.hygienist,
      at('2025-03-12', '10:00'),
      at('2025-03-12', '10:45'),
      book.scale,
      omar,
    );
    expect(
      await core.call('conflicts.list', { from: '2025-03-12', to: '2025-03-12' }),
    ).toHaveLength(1);
    await core.call('appointments.update', { id: b, changes: { chairId: book.chairs[1] } });
    expect(await core.call('conflicts.list', { from: '2025-03-12', to: '2025-03-12' })).toEqual([]);
    // Back into the clash on purpose, accepted; cancelling then clears it for good.
    const check = await core.call('appointments.check', {
      appointment: {
        id: b,
        patientId: omar,
        chairId: book.chairs[0],
        providerId: book.hygienist,
        typeId: book.scale,
        start: at('2025-03-12', '10:00'),
      },
    });
    expect(check.openConflictIds).toHaveLength(1);
    await core.call('appointments.update', {
      id: b,
      changes: { chairId: book.chairs[0] },
      override: { reason: 'Two short visits', conflictIds: check.openConflictIds },
    });
    expect(await core.call('conflicts.list', { from: '2025-03-12', to: '2025-03-12' })).toEqual([]);
    await core.call('appointments.cancel', { id: b, reason: 'Duplicate', by: 'clinic' });
    expect(
      await core.call('conflicts.list', {
        from: '2025-03-12',
        to: '2025-03-12',
        includeAccepted: true,
      }),
    ).toEqual([]);
  });

  it('refuses a period longer than a year', async () => {
    const r = await core.dispatch('conflicts.list', { from: '2025-01-01', to: '2026-06-01' });
    expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  });
});

describe('waitlist', () => {
  it('offers a cancelled slot to waiting patients and brings their booking forward', async () => {
    const early = await core.call('appointments.book', {
      appointment: appointment({ start: at('2025-03-11', '10:00') }),
    });
    const omarsLate = await core.call('appointments.book', {
      appointment: appointment({ patientId: omar, start: at('2025-03-20', '15:00') }),
    });
    const entry = await core.call('waitlist.add', {
      entry: {
        patientId: omar,
        typeId: book.checkUp,
        currentAppointmentId: omarsLate.id,
        asap: true,
        preferredTimes: [{ start: '09:00', end: '12:00' }],
        notes: 'Any morning',
      },
    });
    expect(entry).toMatchObject({
      durationMinutes: 30,
      asap: true,
      currentAppointment: { id: omarsLate.id },
    });
    const afternoonOnly = await newPatient(core, 'Ana', 'Silva', { alerts: [] });
    await core.call('waitlist.add', {
      entry: {
        patientId: afternoonOnly,
        typeId: book.checkUp,
        preferredTimes: [{ start: '13:00', end: '17:00' }],
      },
    });
    const cancelled = await core.call('appointments.cancel', {
      id: early.id,
      reason: 'Holiday',
      by: 'patient',
    });
    expect(cancelled.offers.map((o) => [o.entry.id, o.start, o.end])).toEqual([
      [entry.id, at('2025-03-11', '10:00'), at('2025-03-11', '10:30')],
    ]);
    const offer = cancelled.offers[0]!;
    const moved = await core.call('waitlist.book', {
      entryId: offer.entry.id,
      appointmentId: uuidv7(),
      start: offer.start,
      chairId: offer.chairId,
      providerId: offer.providerId,
    });
    expect(moved).toMatchObject({
      id: omarsLate.id,
      start: at('2025-03-11', '10:00'),
      status: 'booked',
    });
    expect((await core.call('waitlist.list', {})).map((e) => e.patientId)).toEqual([afternoonOnly]);
    const e = await failure(core.call('waitlist.remove', { id: entry.id }));
    expect(e.code).toBe('NOT_FOUND');
  });
});

describe('recall', () => {
  it('lists patients due, moves the due date on a completed visit, and hides booked ones', async () => {
    const recall = await core.call('recalls.set', {
      patientId: zoe,
      typeId: book.checkUp,
      intervalMonths: 6,
      dueDate: '2025-03-01',
    });
    expect(recall).toMatchObject({ dueDate: '2025-03-01', status: 'active', booked: null });
    await core.call('recalls.set', {
      patientId: omar,
      typeId: book.scale,
      intervalMonths: 12,
      dueDate: '2025-05-01',
    });
    const due = await core.call('recalls.list', { until: '2025-03-31' });
    expect(due.map((r) => r.patientId)).toEqual([zoe]);
    expect(
      (await core.call('recalls.list', { until: '2025-06-30' })).map((r) => r.patientId),
    ).toEqual([zoe, omar]);

    // Booking from the list takes Zoë off it; completing the visit sets the next due date.
    const a = await core.call('appointments.book', {
      appointment: appointment({ start: at('2025-03-10', '10:00') }),
    });
    expect(await core.call('recalls.list', { until: '2025-03-31' })).toEqual([]);
    expect(
      (await core.call('recalls.list', { until: '2025-03-31', includeBooked: true }))[0]?.booked,
    ).toEqual({ id: a.id, start: a.start });
    clock = at('2025-03-10', '10:00');
    await core.call('appointments.setStatus', { id: a.id, status: 'arrived' });
    await core.call('appointments.setStatus', { id: a.id, status: 'completed' });
    const [after] = (await core.call('appointments.forPatient', { patientId: zoe })).recalls;
    expect(after).toMatchObject({ dueDate: '2025-09-10', lastVisitDate: '2025-03-10' });
    const stopped = await core.call('recalls.stop', { id: after!.id });
    expect(stopped.status).toBe('stopped');
    expect(
      (await core.call('recalls.list', { until: '2026-12-31' })).map((r) => r.patientId),
    ).toEqual([omar]);
  });
});

describe('daylight saving', () => {
  it('keeps a 09:00 weekly appointment at 09:00 across the change, and the short day has 23 hours', async () => {
    // Clocks go forward at 01:00 on Sunday 30 March 2025.
    const before = await core.call('appointments.book', {
      appointment: appointment({ start: at('2025-03-28', '09:00') }),
    });
    const after = await core.call('appointments.book', {
      appointment: appointment({ id: uuidv7(), start: shiftLocalDays(before.start, 7, ZONE) }),
    });
    expect(utcToZoned(after.start, ZONE).time).toBe('09:00');
    expect(after.start - before.start).toBe((7 * 24 - 1) * 60 * MIN);
    const week = await core.call('appointments.range', { from: '2025-03-24', days: 7 });
    expect(week.dates.map((d) => d.minutes)).toEqual([1440, 1440, 1440, 1440, 1440, 1440, 1380]);
    const autumn = await core.call('appointments.range', { from: '2025-10-26' });
    expect(autumn.dates[0]!.minutes).toBe(1500);
    const moved = await core.call('appointments.update', {
      id: before.id,
      changes: { start: shiftLocalDays(before.start, 14, ZONE) },
    });
    expect(utcToZoned(moved.start, ZONE)).toMatchObject({ date: '2025-04-11', time: '09:00' });
  });
});
