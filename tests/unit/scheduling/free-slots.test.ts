import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors';
import {
  addDays,
  bookingConflicts,
  findFreeSlots,
  gridSlots,
  utcToZoned,
  zonedToUtc,
} from '../../../shared/scheduling';
import type {
  FreeSlot,
  FreeSlotRequest,
  SchedulingSetup,
  TimeRange,
  Weekday,
} from '../../../shared/scheduling';
import {
  CHAIR_1,
  CHAIR_2,
  CHECK_UP,
  DENTIST,
  HYGIENIST,
  MIN,
  PATIENT_A,
  PATIENT_B,
  SCALE_POLISH,
  appointment,
  clinicSetup,
  referenceWall,
  scheduleArb,
  uid,
} from './fixtures';

const TZ = 'Europe/London';
const at = (time: string, date = '2026-06-15') => zonedToUtc(date, time, TZ);
const MONDAY = '2026-06-15';

const brief = (slots: FreeSlot[]) =>
  slots.map(
    (s) =>
      `${s.date} ${s.time} ${s.chairId === CHAIR_1 ? 'c1' : 'c2'} ${s.providerId === DENTIST ? 'dent' : 'hyg'}`,
  );

function failingFields(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('VALIDATION');
    return ((e as AppError).fields ?? []).map((x) => x.path);
  }
  throw new Error('expected an AppError');
}

describe('findFreeSlots', () => {
  const setup = clinicSetup();

  it('offers opening time first, in the first chair with the first qualified provider', () => {
    const slots = findFreeSlots(
      { typeId: CHECK_UP, fromDate: MONDAY, weeks: 1, limit: 3 },
      { setup, appointments: [] },
    );
    expect(brief(slots)).toEqual([
      '2026-06-15 08:00 c1 dent',
      '2026-06-15 08:05 c1 dent',
      '2026-06-15 08:10 c1 dent',
    ]);
    expect(slots[0]).toMatchObject({ start: at('08:00'), end: at('08:30') });
  });

  it('works round existing appointments, per chair and per provider', () => {
    const appointments = [
      appointment({ start: at('08:00'), end: at('09:00') }), // chair 1 and the dentist
      appointment({
        start: at('08:00'),
        end: at('08:45'),
        chairId: CHAIR_2,
        providerId: HYGIENIST,
        typeId: SCALE_POLISH,
        patientId: PATIENT_B,
      }),
      appointment({
        start: at('08:00'),
        end: at('12:00'),
        chairId: CHAIR_2,
        status: 'cancelled',
        patientId: uid(0x700),
      }),
    ];
    const checkUp = findFreeSlots(
      { typeId: CHECK_UP, fromDate: MONDAY, weeks: 1, limit: 1, stepMinutes: 15 },
      { setup, appointments },
    );
    expect(brief(checkUp)).toEqual(['2026-06-15 09:00 c1 dent']);
    const scale = findFreeSlots(
      { typeId: SCALE_POLISH, fromDate: MONDAY, weeks: 1, limit: 2, stepMinutes: 15 },
      { setup, appointments },
    );
    expect(brief(scale)).toEqual(['2026-06-15 08:45 c2 hyg', '2026-06-15 09:00 c1 dent']);
  });

  it('keeps the patient from being in two places at once', () => {
    const appointments = [
      appointment({ start: at('08:00'), end: at('10:00'), patientId: PATIENT_A }),
    ];
    const slots = findFreeSlots(
      { typeId: SCALE_POLISH, patientId: PATIENT_A, fromDate: MONDAY, weeks: 1, limit: 1 },
      { setup, appointments },
    );
    expect(brief(slots)).toEqual(['2026-06-15 10:00 c1 dent']);
  });

  it('respects breaks, closures, preferred weekdays and preferred times', () => {
    const withRules = clinicSetup({
      providerSchedules: [
        {
          providerId: DENTIST,
          weekly: {
            tue: {
              hours: [{ start: '09:00', end: '17:00' }],
              breaks: [{ start: '12:00', end: '13:00' }],
            },
            wed: { hours: [{ start: '09:00', end: '17:00' }] },
          },
        },
      ],
      closures: [
        { id: uid(0xc1), startDate: '2026-06-17', endDate: '2026-06-17', reason: 'Training' },
      ],
    });
    const slots = findFreeSlots(
      {
        typeId: CHECK_UP,
        providerId: DENTIST,
        preferredWeekdays: ['tue', 'wed', 'thu'],
        preferredTimeRanges: [{ start: '11:00', end: '14:00' }],
        fromDate: MONDAY,
        weeks: 2,
        limit: 4,
        stepMinutes: 30,
      },
      { setup: withRules, appointments: [] },
    );
    expect(brief(slots)).toEqual([
      '2026-06-16 11:00 c1 dent',
      '2026-06-16 11:30 c1 dent',
      '2026-06-16 13:00 c1 dent',
      '2026-06-16 13:30 c1 dent',
    ]);
    const nextWeek = findFreeSlots(
      {
        typeId: CHECK_UP,
        providerId: DENTIST,
        preferredWeekdays: ['wed'],
        fromDate: MONDAY,
        weeks: 2,
        limit: 1,
      },
      { setup: withRules, appointments: [] },
    );
    expect(brief(nextWeek)).toEqual(['2026-06-24 09:00 c1 dent']);
  });

  it('lets a slot run across adjacent opening ranges', () => {
    const split = clinicSetup({
      openingHours: {
        weekly: {
          mon: [
            { start: '12:00', end: '18:00' },
            { start: '08:00', end: '12:00' },
          ],
        },
      },
    });
    const slots = findFreeSlots(
      {
        durationMinutes: 60,
        fromDate: MONDAY,
        weeks: 1,
        limit: 1,
        preferredTimeRanges: [{ start: '11:30', end: '12:30' }],
      },
      { setup: split, appointments: [] },
    );
    expect(brief(slots)).toEqual(['2026-06-15 11:30 c1 dent']);
  });

  it('spreads results with maxPerDay and starts no earlier than notBefore', () => {
    const slots = findFreeSlots(
      {
        durationMinutes: 60,
        fromDate: MONDAY,
        notBefore: at('17:05'),
        weeks: 1,
        limit: 3,
        maxPerDay: 1,
      },
      { setup, appointments: [] },
    );
    expect(brief(slots)).toEqual([
      '2026-06-16 08:00 c1 dent',
      '2026-06-17 08:00 c1 dent',
      '2026-06-18 08:00 c1 dent',
    ]);
  });

  it('keeps the local grid across a daylight-saving change', () => {
    const slots = findFreeSlots(
      {
        typeId: CHECK_UP,
        fromDate: '2026-03-27',
        weeks: 1,
        limit: 2,
        maxPerDay: 1,
        preferredTimeRanges: [{ start: '09:00', end: '10:00' }],
      },
      { setup, appointments: [] },
    );
    expect(slots.map((s) => [s.date, s.time, utcToZoned(s.start, TZ).time])).toEqual([
      ['2026-03-27', '09:00', '09:00'],
      ['2026-03-30', '09:00', '09:00'],
    ]);
    expect(slots[1]!.start - slots[0]!.start).toBe(3 * 24 * 60 * MIN - 60 * MIN);
  });

  it('finds nothing when nothing fits, without running past the horizon', () => {
    const closed = clinicSetup({
      closures: [{ id: uid(0xc2), startDate: '2026-01-01', endDate: '2026-12-31', reason: null }],
    });
    expect(
      findFreeSlots(
        { typeId: CHECK_UP, fromDate: MONDAY, weeks: 13 },
        { setup: closed, appointments: [] },
      ),
    ).toEqual([]);
    expect(
      findFreeSlots(
        { durationMinutes: 11 * 60, fromDate: MONDAY, weeks: 1 },
        { setup, appointments: [] },
      ),
    ).toEqual([]);
  });

  it('rejects requests that cannot be searched', () => {
    expect(
      failingFields(() =>
        findFreeSlots({ fromDate: MONDAY, weeks: 1 }, { setup, appointments: [] }),
      ),
    ).toEqual(['typeId']);
    expect(
      failingFields(() =>
        findFreeSlots(
          { typeId: CHECK_UP, providerId: HYGIENIST, fromDate: MONDAY, weeks: 1 },
          { setup, appointments: [] },
        ),
      ),
    ).toEqual(['providerId']);
    expect(
      failingFields(() =>
        findFreeSlots(
          { typeId: uid(1), chairId: uid(2), fromDate: MONDAY, weeks: 1 },
          { setup, appointments: [] },
        ),
      ),
    ).toEqual(['typeId', 'chairId']);
    expect(
      failingFields(() =>
        findFreeSlots({ durationMinutes: 7, fromDate: '2026-02-30', weeks: 0 } as FreeSlotRequest, {
          setup,
          appointments: [],
        }),
      ).sort(),
    ).toEqual(['durationMinutes', 'fromDate', 'weeks']);
  });
});

describe('findFreeSlots properties', () => {
  /**
   * Brute force: every wall-clock grid start over the horizon, every chair and provider in
   * set-up order, accepted when booking it would add no conflict at all.
   */
  function bruteForce(
    setup: SchedulingSetup,
    appointments: Parameters<typeof bookingConflicts>[1]['appointments'],
    req: {
      typeId: string;
      fromDate: string;
      weeks: number;
      limit: number;
      patientId: string;
      preferredWeekdays?: Weekday[];
      preferredTimeRanges?: { start: string; end: string }[];
    },
  ) {
    const type = setup.appointmentTypes.find((t) => t.id === req.typeId)!;
    const length = type.durationUnits * 5 * MIN;
    const toMinutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
    const out: { start: number; chairId: string; providerId: string }[] = [];
    for (let n = 0; n < req.weeks * 7 && out.length < req.limit; n++) {
      const date = addDays(req.fromDate, n);
      for (const slot of gridSlots(date, setup.timeZone, 15)) {
        if (out.length >= req.limit) break;
        let preferred = true;
        // Every boundary here sits on the local 5-minute grid (the test zones' offsets are
        // whole multiples of 15 minutes), so reading the clock every 5 minutes is exact.
        for (let t = slot.start; t < slot.start + length; t += 5 * MIN) {
          const w = referenceWall(t, setup.timeZone);
          if (w.date !== date) preferred = false;
          if (req.preferredWeekdays && !req.preferredWeekdays.includes(w.weekday))
            preferred = false;
          if (
            req.preferredTimeRanges &&
            !req.preferredTimeRanges.some(
              (r) => w.minute >= toMinutes(r.start) && w.minute < toMinutes(r.end),
            )
          ) {
            preferred = false;
          }
          if (!preferred) break;
        }
        if (!preferred) continue;
        // Only appointments overlapping the candidate can clash with it.
        const nearby = appointments.filter(
          (a) => a.start < slot.start + length && a.end > slot.start,
        );
        search: for (const chair of setup.chairs) {
          for (const provider of setup.providers) {
            const booking = {
              id: uid(0xabcdef),
              patientId: req.patientId,
              chairId: chair.id,
              providerId: provider.id,
              typeId: req.typeId,
              start: slot.start,
              end: slot.start + length,
            };
            const clashes = bookingConflicts(booking, { setup, appointments: nearby });
            if (clashes.length === 0) {
              out.push({ start: slot.start, chairId: chair.id, providerId: provider.id });
              break search;
            }
            // Opening hours do not depend on the chair or provider: no need to try the others.
            if (clashes.some((c) => c.kind === 'outside_opening_hours')) break search;
          }
        }
      }
    }
    return out;
  }

  it('returns exactly the conflict-free slots, in order, on random schedules', () => {
    fc.assert(
      fc.property(
        scheduleArb({ daytimeOnly: true, maxAppointments: 30, unknownRefs: false }),
        fc.nat(2),
        fc.boolean(),
        fc.option(
          fc.uniqueArray(
            fc.constantFrom<Weekday>('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'),
            { minLength: 1 },
          ),
          { nil: undefined },
        ),
        fc.option(
          fc.constantFrom<TimeRange[]>(
            [{ start: '08:00', end: '12:00' }],
            [
              { start: '06:00', end: '09:30' },
              { start: '14:00', end: '20:00' },
            ],
          ),
          { nil: undefined },
        ),
        (s, typeIndex, samePatient, preferredWeekdays, preferredTimeRanges) => {
          const type = s.setup.appointmentTypes[typeIndex % s.setup.appointmentTypes.length]!;
          const patientId = samePatient ? uid(0x4000) : uid(0x4999);
          const req = {
            typeId: type.id,
            fromDate: addDays(s.baseDate, -1),
            weeks: 1,
            limit: 25,
            patientId,
            ...(preferredWeekdays ? { preferredWeekdays } : {}),
            ...(preferredTimeRanges ? { preferredTimeRanges } : {}),
          };
          const found = findFreeSlots({ ...req, stepMinutes: 15 }, s);
          const expected = bruteForce(s.setup, s.appointments, req);
          expect(
            found.map((f) => ({ start: f.start, chairId: f.chairId, providerId: f.providerId })),
          ).toEqual(expected);
          for (const f of found) {
            expect(f.end - f.start).toBe(type.durationUnits * 5 * MIN);
            expect(utcToZoned(f.start, s.setup.timeZone)).toMatchObject({
              date: f.date,
              time: f.time,
            });
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});
