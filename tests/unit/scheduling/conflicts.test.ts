import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors';
import {
  computeConflicts,
  conflictsByAppointment,
  openConflicts,
  zonedToUtc,
} from '../../../shared/scheduling';
import type { Appointment, SchedulingSetup } from '../../../shared/scheduling';
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
  uid,
} from './fixtures';

const TZ = 'Europe/London';
/** Monday 2026-06-15 at a London wall time. */
const at = (time: string, date = '2026-06-15') => zonedToUtc(date, time, TZ);

function conflicts(
  appointments: Appointment[],
  setup: SchedulingSetup = clinicSetup(),
  acks?: string[],
) {
  return computeConflicts({
    setup,
    appointments,
    ...(acks ? { acknowledgements: acks.map((conflictId) => ({ conflictId })) } : {}),
  });
}

const summary = (list: ReturnType<typeof conflicts>) => list.map((c) => c.id);

describe('computeConflicts', () => {
  it('reports nothing for a clean day', () => {
    expect(
      conflicts([
        appointment({ start: at('09:00') }),
        appointment({ start: at('09:30'), patientId: PATIENT_B }),
        appointment({
          start: at('09:00'),
          chairId: CHAIR_2,
          providerId: HYGIENIST,
          typeId: SCALE_POLISH,
          patientId: PATIENT_B,
          end: at('09:30'),
        }),
      ]),
    ).toEqual([]);
  });

  it('reports a chair double booking once, over the overlap, with sorted ids', () => {
    const a = appointment({ id: uid(0xb), start: at('09:00'), end: at('10:00') });
    const b = appointment({
      id: uid(0xa),
      start: at('09:30'),
      end: at('10:30'),
      providerId: HYGIENIST,
      typeId: SCALE_POLISH,
      patientId: PATIENT_B,
    });
    expect(conflicts([a, b])).toEqual([
      {
        id: `chair:${uid(0xa)}:${uid(0xb)}`,
        kind: 'chair',
        appointmentIds: [uid(0xa), uid(0xb)],
        start: at('09:30'),
        end: at('10:00'),
        resourceId: CHAIR_1,
        acknowledged: false,
      },
    ]);
  });

  it('reports provider and patient clashes in different chairs', () => {
    const a = appointment({ start: at('09:00') });
    const b = appointment({ start: at('09:15'), chairId: CHAIR_2 });
    const found = conflicts([a, b]);
    expect(found.map((c) => [c.kind, c.resourceId])).toEqual([
      ['patient', PATIENT_A],
      ['provider', DENTIST],
    ]);
    expect(found.every((c) => c.start === at('09:15') && c.end === at('09:30'))).toBe(true);
  });

  it('does not treat back-to-back appointments as overlapping', () => {
    expect(
      conflicts([appointment({ start: at('09:00') }), appointment({ start: at('09:30') })]),
    ).toEqual([]);
  });

  it('ignores cancelled and no-show appointments', () => {
    const booked = appointment({ start: at('09:00') });
    for (const status of ['cancelled', 'no_show'] as const) {
      expect(conflicts([booked, appointment({ start: at('09:00'), status })])).toEqual([]);
    }
    expect(
      conflicts([booked, appointment({ start: at('09:00'), status: 'completed' })]),
    ).toHaveLength(3);
  });

  it('reports every pair when three appointments share a chair', () => {
    const list = [0, 1, 2].map((i) =>
      appointment({
        start: at('09:00'),
        providerId: [DENTIST, HYGIENIST, uid(0x203)][i]!,
        patientId: uid(0x500 + i),
        typeId: SCALE_POLISH,
      }),
    );
    const setup = clinicSetup();
    setup.providers.push({ id: uid(0x203), name: 'Third', kind: 'dentist', colour: '#000000' });
    const found = conflicts(list, setup);
    expect(found.map((c) => c.kind)).toEqual(['chair', 'chair', 'chair']);
    expect(new Set(found.map((c) => c.appointmentIds.join('+'))).size).toBe(3);
  });

  it('marks an accepted conflict as acknowledged and keeps it visible', () => {
    const a = appointment({ start: at('09:00') });
    const b = appointment({ start: at('09:00'), chairId: CHAIR_2, patientId: PATIENT_B });
    const [provider] = conflicts([a, b]);
    expect(provider!.kind).toBe('provider');
    const again = conflicts([b, a], clinicSetup(), [provider!.id, 'provider:stale:ack']);
    expect(again).toEqual([{ ...provider!, acknowledged: true }]);
    expect(openConflicts(again)).toEqual([]);
  });

  it('flags time outside opening hours, reporting the part outside', () => {
    const early = appointment({ start: at('07:30'), end: at('08:30') });
    const late = appointment({ start: at('17:45'), end: at('18:15'), patientId: PATIENT_B });
    const sunday = appointment({ start: at('10:00', '2026-06-14'), patientId: uid(0x777) });
    const found = conflicts([early, late, sunday]);
    expect(found.map((c) => [c.kind, c.appointmentIds[0], c.start, c.end])).toEqual([
      ['outside_opening_hours', sunday.id, at('10:00', '2026-06-14'), at('10:30', '2026-06-14')],
      ['outside_opening_hours', early.id, at('07:30'), at('08:00')],
      ['outside_opening_hours', late.id, at('18:00'), at('18:15')],
    ]);
  });

  it('flags an appointment spanning the lunch closure of the doors', () => {
    const setup = clinicSetup({
      openingHours: {
        weekly: {
          mon: [
            { start: '08:00', end: '12:00' },
            { start: '13:00', end: '17:00' },
          ],
        },
      },
    });
    const a = appointment({ start: at('11:30'), end: at('13:30') });
    expect(conflicts([a], setup).map((c) => [c.kind, c.start, c.end])).toEqual([
      ['outside_opening_hours', at('12:00'), at('13:00')],
    ]);
    const setupJoined = clinicSetup({
      openingHours: {
        weekly: {
          mon: [
            { start: '08:00', end: '12:00' },
            { start: '12:00', end: '17:00' },
          ],
        },
      },
    });
    expect(conflicts([a], setupJoined)).toEqual([]);
  });

  it('uses a per-date opening override instead of the weekday', () => {
    const setup = clinicSetup({
      openingHours: {
        weekly: { mon: [{ start: '08:00', end: '18:00' }] },
        dates: [{ date: '2026-06-15', hours: [{ start: '10:00', end: '14:00' }] }],
      },
    });
    expect(conflicts([appointment({ start: at('09:00') })], setup).map((c) => c.kind)).toEqual([
      'outside_opening_hours',
    ]);
    expect(conflicts([appointment({ start: at('09:00', '2026-06-22') })], setup)).toEqual([]);
  });

  it('checks provider working hours and breaks, and per-date days off', () => {
    const setup = clinicSetup({
      providerSchedules: [
        {
          providerId: DENTIST,
          weekly: {
            mon: {
              hours: [{ start: '09:00', end: '17:00' }],
              breaks: [{ start: '12:30', end: '13:00' }],
            },
          },
          dates: [{ date: '2026-06-22', hours: [] }],
        },
      ],
    });
    const beforeWork = appointment({ start: at('08:30') });
    const overLunch = appointment({ start: at('12:15'), end: at('12:45'), patientId: PATIENT_B });
    const fine = appointment({ start: at('13:00'), patientId: uid(0x600) });
    const dayOff = appointment({ start: at('10:00', '2026-06-22'), patientId: uid(0x601) });
    const hygienistNoSchedule = appointment({
      start: at('08:00'),
      providerId: HYGIENIST,
      typeId: SCALE_POLISH,
      chairId: CHAIR_2,
      patientId: uid(0x602),
    });
    const found = conflicts([beforeWork, overLunch, fine, dayOff, hygienistNoSchedule], setup);
    expect(found.map((c) => [c.kind, c.appointmentIds[0], c.start, c.end, c.resourceId])).toEqual([
      ['outside_working_hours', beforeWork.id, at('08:30'), at('09:00'), DENTIST],
      ['outside_working_hours', overLunch.id, at('12:30'), at('12:45'), DENTIST],
      [
        'outside_working_hours',
        dayOff.id,
        at('10:00', '2026-06-22'),
        at('10:30', '2026-06-22'),
        DENTIST,
      ],
    ]);
  });

  it('reports closures of the clinic, of a chair and of a provider', () => {
    const setup = clinicSetup({
      closures: [
        {
          id: uid(0xc1),
          startDate: '2026-06-15',
          endDate: '2026-06-15',
          startTime: '12:00',
          reason: null,
        },
        {
          id: uid(0xc2),
          startDate: '2026-06-14',
          endDate: '2026-06-15',
          endTime: '10:00',
          chairId: CHAIR_2,
          reason: 'Repair',
        },
        {
          id: uid(0xc3),
          startDate: '2026-06-15',
          endDate: '2026-06-19',
          providerId: HYGIENIST,
          reason: null,
        },
      ],
    });
    const afternoon = appointment({ start: at('11:45'), end: at('12:15') });
    const chair2 = appointment({
      start: at('09:45'),
      end: at('10:15'),
      chairId: CHAIR_2,
      patientId: PATIENT_B,
    });
    const hygienist = appointment({
      start: at('08:00'),
      providerId: HYGIENIST,
      typeId: SCALE_POLISH,
      patientId: uid(0x603),
    });
    const found = conflicts([afternoon, chair2, hygienist], setup);
    expect(found.map((c) => [c.id, c.start, c.end, c.resourceId])).toEqual([
      [`closure:${hygienist.id}:${uid(0xc3)}`, at('08:00'), at('08:30'), uid(0xc3)],
      [`closure:${chair2.id}:${uid(0xc2)}`, at('09:45'), at('10:00'), uid(0xc2)],
      [`closure:${afternoon.id}:${uid(0xc1)}`, at('12:00'), at('12:15'), uid(0xc1)],
    ]);
  });

  it('reports a provider not qualified for the type and references that do not exist', () => {
    const unqualified = appointment({
      start: at('09:00'),
      providerId: HYGIENIST,
      typeId: CHECK_UP,
    });
    const ghostChair = appointment({
      start: at('10:00'),
      chairId: uid(0xdead),
      patientId: PATIENT_B,
    });
    const ghostType = appointment({
      start: at('11:00'),
      typeId: uid(0xbeef),
      patientId: uid(0x604),
    });
    expect(
      conflicts([unqualified, ghostChair, ghostType]).map((c) => [c.kind, c.appointmentIds[0]]),
    ).toEqual([
      ['provider_not_qualified', unqualified.id],
      ['unknown_resource', ghostChair.id],
      ['unknown_resource', ghostType.id],
    ]);
  });

  it('keeps 09:00 appointments inside 08:00-18:00 on both sides of a change', () => {
    const setup = clinicSetup({
      openingHours: {
        weekly: {
          fri: [{ start: '08:00', end: '18:00' }],
          mon: [{ start: '08:00', end: '18:00' }],
        },
      },
    });
    const before = appointment({ start: zonedToUtc('2026-03-27', '09:00', TZ) });
    const after = appointment({ start: zonedToUtc('2026-03-30', '09:00', TZ) });
    const tooEarly = appointment({
      start: zonedToUtc('2026-03-30', '09:00', TZ) - 90 * MIN,
      patientId: PATIENT_B,
    });
    expect(
      conflicts([before, after, tooEarly], setup).map((c) => [c.kind, c.appointmentIds[0]]),
    ).toEqual([['outside_opening_hours', tooEarly.id]]);
  });

  it('refuses duplicate appointment ids', () => {
    const a = appointment({ start: at('09:00') });
    expect(() => conflicts([a, { ...a, start: at('10:00'), end: at('10:30') }])).toThrow(AppError);
  });

  it('groups conflicts per appointment for the book', () => {
    const a = appointment({ start: at('09:00') });
    const b = appointment({ start: at('09:00'), chairId: CHAIR_2, patientId: PATIENT_B });
    const c = appointment({ start: at('07:00'), chairId: CHAIR_2, patientId: uid(0x605) });
    const byAppointment = conflictsByAppointment(conflicts([a, b, c]));
    expect(byAppointment.get(a.id)!.map((x) => x.kind)).toEqual(['provider']);
    expect(byAppointment.get(b.id)!.map((x) => x.kind)).toEqual(['provider']);
    expect(byAppointment.get(c.id)!.map((x) => x.kind)).toEqual(['outside_opening_hours']);
    expect(summary(conflicts([a, b, c]))).toEqual(summary(conflicts([c, b, a])));
  });
});
