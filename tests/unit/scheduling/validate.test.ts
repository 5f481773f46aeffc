import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors';
import {
  bookingConflicts,
  checkOverride,
  computeConflicts,
  schedulingSetupSchema,
  validateBooking,
  zonedToUtc,
} from '../../../shared/scheduling';
import type { BookingRequest } from '../../../shared/scheduling';
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

const at = (time: string, date = '2026-06-15') => zonedToUtc(date, time, 'Europe/London');
const NEW_ID = uid(0xfeed);

function request(over: Partial<BookingRequest> = {}): BookingRequest {
  return {
    id: NEW_ID,
    patientId: PATIENT_A,
    chairId: CHAIR_1,
    providerId: DENTIST,
    typeId: CHECK_UP,
    start: at('09:00'),
    ...over,
  };
}

/** The field paths of the AppError thrown by `f`, or a failure if it does not throw one. */
function failingFields(f: () => unknown, code = 'VALIDATION'): string[] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe(code);
    return ((e as AppError).fields ?? []).map((x) => x.path);
  }
  throw new Error('expected an AppError');
}

describe('validateBooking', () => {
  const setup = clinicSetup();

  it('takes the length from the end, the duration or the type', () => {
    expect(validateBooking(request(), setup)).toEqual({
      id: NEW_ID,
      patientId: PATIENT_A,
      chairId: CHAIR_1,
      providerId: DENTIST,
      typeId: CHECK_UP,
      start: at('09:00'),
      end: at('09:30'),
    });
    expect(validateBooking(request({ end: at('10:15') }), setup).end).toBe(at('10:15'));
    expect(validateBooking(request({ durationMinutes: 45 }), setup).end).toBe(at('09:45'));
    expect(validateBooking(request({ end: at('09:45'), durationMinutes: 45 }), setup).end).toBe(
      at('09:45'),
    );
  });

  it('rejects an end before the start, a zero length and a negative duration', () => {
    expect(failingFields(() => validateBooking(request({ end: at('08:30') }), setup))).toEqual([
      'end',
    ]);
    expect(failingFields(() => validateBooking(request({ end: at('09:00') }), setup))).toEqual([
      'end',
    ]);
    expect(failingFields(() => validateBooking(request({ durationMinutes: 0 }), setup))).toEqual([
      'durationMinutes',
    ]);
    expect(failingFields(() => validateBooking(request({ durationMinutes: -30 }), setup))).toEqual([
      'durationMinutes',
    ]);
    expect(
      failingFields(() =>
        validateBooking(request({ end: at('09:45'), durationMinutes: 30 }), setup),
      ),
    ).toEqual(['durationMinutes']);
  });

  it('keeps bookings on the 5-minute grid and under 12 hours', () => {
    expect(
      failingFields(() => validateBooking(request({ start: at('09:00') + 2 * MIN }), setup)),
    ).toEqual(['start']);
    expect(
      failingFields(() => validateBooking(request({ start: at('09:00') + 1 }), setup)),
    ).toEqual(['start']);
    expect(failingFields(() => validateBooking(request({ end: at('09:32') }), setup))).toEqual([
      'end',
    ]);
    expect(failingFields(() => validateBooking(request({ durationMinutes: 33 }), setup))).toEqual([
      'durationMinutes',
    ]);
    expect(
      failingFields(() => validateBooking(request({ durationMinutes: 12 * 60 + 5 }), setup)),
    ).toEqual(['durationMinutes']);
  });

  it('names unknown and retired chairs, providers and types', () => {
    expect(
      failingFields(() =>
        validateBooking(request({ chairId: uid(1), providerId: uid(2), typeId: uid(3) }), setup),
      ),
    ).toEqual(['chairId', 'providerId', 'typeId']);
    const retired = clinicSetup();
    retired.chairs[0]!.active = false;
    retired.providers[0]!.active = false;
    retired.appointmentTypes[0]!.active = false;
    expect(failingFields(() => validateBooking(request(), retired))).toEqual([
      'chairId',
      'providerId',
      'typeId',
    ]);
  });

  it('refuses a type the provider cannot do', () => {
    expect(failingFields(() => validateBooking(request({ providerId: HYGIENIST }), setup))).toEqual(
      ['providerId'],
    );
    expect(
      validateBooking(request({ providerId: HYGIENIST, typeId: SCALE_POLISH }), setup).end,
    ).toBe(at('09:45'));
  });

  it('reports malformed input by field path', () => {
    expect(
      failingFields(() =>
        validateBooking({ ...request(), id: 'nope', start: '2026-06-15T09:00', extra: 1 }, setup),
      ).sort(),
    ).toEqual(['(input)', 'id', 'start']);
    expect(failingFields(() => validateBooking(null, setup))).toEqual(['(input)']);
  });
});

describe('booking into a conflict', () => {
  const setup = clinicSetup();
  const existing = appointment({ start: at('09:00'), patientId: PATIENT_B });

  it('lets a clean booking through with nothing to acknowledge', () => {
    const booking = validateBooking(
      request({ chairId: CHAIR_2, providerId: HYGIENIST, typeId: SCALE_POLISH }),
      setup,
    );
    const found = bookingConflicts(booking, { setup, appointments: [existing] });
    expect(found).toEqual([]);
    expect(checkOverride(found)).toEqual([]);
  });

  it('needs a reason naming every open conflict, then records acknowledgements that close them', () => {
    const booking = validateBooking(request({ start: at('09:15') }), setup);
    const found = bookingConflicts(booking, { setup, appointments: [existing] });
    expect(found.map((c) => c.kind)).toEqual(['chair', 'provider']);
    expect(failingFields(() => checkOverride(found), 'CONFLICT')).toEqual(['override.reason']);
    expect(
      failingFields(
        () => checkOverride(found, { reason: '  ', conflictIds: found.map((c) => c.id) }),
        'CONFLICT',
      ),
    ).toEqual(['override.reason']);
    expect(
      failingFields(
        () => checkOverride(found, { reason: 'Emergency', conflictIds: [found[0]!.id] }),
        'CONFLICT',
      ),
    ).toEqual(['override.conflictIds']);
    const acks = checkOverride(found, { reason: 'Emergency', conflictIds: found.map((c) => c.id) });
    expect(acks).toEqual(found.map((c) => ({ conflictId: c.id, reason: 'Emergency' })));

    // Once saved with its acknowledgements, the double booking stays visible but accepted.
    const saved = { ...booking, status: 'booked' as const };
    const after = computeConflicts({
      setup,
      appointments: [existing, saved],
      acknowledgements: acks,
    });
    expect(after.map((c) => [c.kind, c.acknowledged])).toEqual([
      ['chair', true],
      ['provider', true],
    ]);
    expect(
      bookingConflicts(booking, { setup, appointments: [existing], acknowledgements: acks }).every(
        (c) => c.acknowledged,
      ),
    ).toBe(true);
  });

  it('checks a moved appointment against the others, not against its old self', () => {
    const moving = appointment({ start: at('10:00'), patientId: PATIENT_A });
    const booking = validateBooking(request({ id: moving.id, start: at('10:15') }), setup);
    expect(bookingConflicts(booking, { setup, appointments: [existing, moving] })).toEqual([]);
  });

  it('counts hours and closures as conflicts that need an override', () => {
    const booking = validateBooking(request({ start: at('18:00') }), setup);
    const found = bookingConflicts(booking, { setup, appointments: [] });
    expect(found.map((c) => c.kind)).toEqual(['outside_opening_hours']);
    expect(() => checkOverride(found)).toThrow(AppError);
  });
});

describe('set-up schema', () => {
  it('accepts the test clinic and names bad hours, closures and duplicates by path', () => {
    expect(schedulingSetupSchema.safeParse(clinicSetup()).success).toBe(true);
    const bad = clinicSetup({
      openingHours: {
        weekly: {
          mon: [
            { start: '09:00', end: '08:00' },
            { start: '09:03', end: '10:00' },
          ],
        },
      },
      closures: [
        {
          id: uid(9),
          startDate: '2026-06-15',
          endDate: '2026-06-14',
          chairId: CHAIR_1,
          providerId: DENTIST,
          reason: null,
        },
      ],
    });
    bad.chairs.push({ id: CHAIR_1, name: 'Again' });
    const result = schedulingSetupSchema.safeParse(bad);
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual([
      'chairs.2',
      'closures.0.endDate',
      'closures.0.providerId',
      'openingHours.weekly.mon.0.end',
      'openingHours.weekly.mon.1.start',
    ]);
  });
});
