import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors';
import {
  addDays,
  dayBounds,
  firstInstantAtOrAfter,
  gridSlots,
  instantFromIso,
  isOnGrid,
  localDateReader,
  shiftLocalDays,
  utcToZoned,
  wallRangeToIntervals,
  weekdayOf,
  zoneDay,
  zonedToUtc,
} from '../../../shared/scheduling';
import { DAYS, HOUR, MIN, ZONES, referenceWall } from './fixtures';

const utc = (iso: string) => Date.parse(iso);

describe('clinic-local time', () => {
  describe.each([
    // zone, last day before the change, first day after it, expected UTC of 09:00 before/after
    ['Europe/London', 'spring', '2026-03-28', '2026-03-30', '09:00Z', '08:00Z'],
    ['Europe/London', 'autumn', '2026-10-24', '2026-10-26', '08:00Z', '09:00Z'],
    ['America/New_York', 'spring', '2026-03-07', '2026-03-09', '14:00Z', '13:00Z'],
    ['America/New_York', 'autumn', '2026-10-31', '2026-11-02', '13:00Z', '14:00Z'],
  ])('%s %s change', (tz, _season, before, after, utcBefore, utcAfter) => {
    it('keeps a 09:00 appointment at 09:00 local on both sides', () => {
      const first = zonedToUtc(before, '09:00', tz);
      const second = zonedToUtc(after, '09:00', tz);
      expect(new Date(first).toISOString()).toBe(`${before}T${utcBefore.slice(0, 5)}:00.000Z`);
      expect(new Date(second).toISOString()).toBe(`${after}T${utcAfter.slice(0, 5)}:00.000Z`);
      expect(utcToZoned(first, tz)).toMatchObject({ date: before, time: '09:00' });
      expect(utcToZoned(second, tz)).toMatchObject({ date: after, time: '09:00' });
      // Moving the appointment over the change keeps the wall-clock time, not the UTC time.
      const moved = shiftLocalDays(first, 2, tz);
      expect(moved).toBe(second);
      expect(utcToZoned(moved, tz).time).toBe('09:00');
      expect(shiftLocalDays(second, -2, tz)).toBe(first);
    });

    it('keeps a weekly 09:00 series at 09:00 for ten weeks around the change', () => {
      const start = addDays(before, -35);
      for (let week = 0; week < 10; week++) {
        const date = addDays(start, week * 7);
        const t = zonedToUtc(date, '09:00', tz);
        expect(utcToZoned(t, tz)).toMatchObject({ date, time: '09:00' });
        expect(shiftLocalDays(zonedToUtc(start, '09:00', tz), week * 7, tz)).toBe(t);
      }
    });
  });

  it.each([
    ['Europe/London', '2026-03-29', 23 * 60],
    ['Europe/London', '2026-10-25', 25 * 60],
    ['America/New_York', '2026-03-08', 23 * 60],
    ['America/New_York', '2026-11-01', 25 * 60],
    ['Europe/London', '2026-06-15', 24 * 60],
    ['Australia/Lord_Howe', '2026-04-05', 24 * 60 + 30],
    ['Australia/Lord_Howe', '2026-10-04', 24 * 60 - 30],
  ])('%s %s lasts %i minutes and holds that many grid slots', (tz, date, minutes) => {
    const bounds = dayBounds(date, tz);
    expect(bounds.minutes).toBe(minutes);
    expect(bounds.end - bounds.start).toBe(minutes * MIN);
    expect(utcToZoned(bounds.start, tz)).toMatchObject({ date, time: '00:00' });
    expect(utcToZoned(bounds.end, tz)).toMatchObject({ date: addDays(date, 1), time: '00:00' });
    expect(utcToZoned(bounds.end - 1, tz).date).toBe(date);
    for (const step of [5, 10, 15] as const) {
      const slots = gridSlots(date, tz, step);
      expect(slots).toHaveLength(minutes / step);
      expect(slots[0]!.start).toBe(bounds.start);
      expect(slots[slots.length - 1]!.end).toBe(bounds.end);
      for (let i = 1; i < slots.length; i++) {
        expect(slots[i]!.start).toBe(slots[i - 1]!.end);
        expect(utcToZoned(slots[i]!.start, tz).time).toBe(slots[i]!.time);
        expect(Number(slots[i]!.time.slice(3)) % step).toBe(0);
      }
    }
  });

  it('labels the repeated autumn hour twice and skips the spring hour', () => {
    const autumn = gridSlots('2026-10-25', 'Europe/London', 15).map((s) => s.time);
    expect(autumn.filter((t) => t === '01:30')).toHaveLength(2);
    expect(autumn.filter((t) => t === '03:30')).toHaveLength(1);
    const spring = gridSlots('2026-03-29', 'Europe/London', 15).map((s) => s.time);
    expect(spring.filter((t) => t.startsWith('01:'))).toHaveLength(0);
    expect(spring).toContain('02:00');
  });

  it('resolves a skipped spring time forward and a repeated autumn time to its first occurrence', () => {
    const tz = 'Europe/London';
    expect(zonedToUtc('2026-03-29', '01:30', tz)).toBe(utc('2026-03-29T01:30:00Z'));
    expect(zonedToUtc('2026-03-29', '01:30', tz, 'later')).toBe(utc('2026-03-29T01:30:00Z'));
    expect(zonedToUtc('2026-03-29', '01:30', tz, 'earlier')).toBe(utc('2026-03-29T00:30:00Z'));
    expect(zonedToUtc('2026-10-25', '01:30', tz)).toBe(utc('2026-10-25T00:30:00Z'));
    expect(zonedToUtc('2026-10-25', '01:30', tz, 'earlier')).toBe(utc('2026-10-25T00:30:00Z'));
    expect(zonedToUtc('2026-10-25', '01:30', tz, 'later')).toBe(utc('2026-10-25T01:30:00Z'));
    expect(() => zonedToUtc('2026-03-29', '01:30', tz, 'reject')).toThrow(AppError);
    expect(() => zonedToUtc('2026-10-25', '01:30', tz, 'reject')).toThrow(AppError);
    expect(zonedToUtc('2026-10-25', '03:00', tz, 'reject')).toBe(utc('2026-10-25T03:00:00Z'));
  });

  it('reads wall-clock ranges as sets of instants: twice in the autumn hour, never in a gap', () => {
    const tz = 'Europe/London';
    const autumn = zoneDay('2026-10-25', tz);
    expect(wallRangeToIntervals(autumn, 60, 120)).toEqual([
      { start: utc('2026-10-25T00:00:00Z'), end: utc('2026-10-25T02:00:00Z') },
    ]);
    expect(wallRangeToIntervals(autumn, 90, 120)).toEqual([
      { start: utc('2026-10-25T00:30:00Z'), end: utc('2026-10-25T01:00:00Z') },
      { start: utc('2026-10-25T01:30:00Z'), end: utc('2026-10-25T02:00:00Z') },
    ]);
    const spring = zoneDay('2026-03-29', tz);
    expect(wallRangeToIntervals(spring, 60, 120)).toEqual([]);
    expect(wallRangeToIntervals(spring, 30, 150)).toEqual([
      { start: utc('2026-03-29T00:30:00Z'), end: utc('2026-03-29T01:30:00Z') },
    ]);
    expect(wallRangeToIntervals(zoneDay('2026-06-15', tz), 8 * 60, 18 * 60)).toEqual([
      { start: utc('2026-06-15T07:00:00Z'), end: utc('2026-06-15T17:00:00Z') },
    ]);
  });

  it('places closure edges at the first instant the clock reads that time', () => {
    const tz = 'Europe/London';
    expect(firstInstantAtOrAfter('2026-03-29', '01:30', tz)).toBe(utc('2026-03-29T01:00:00Z'));
    expect(firstInstantAtOrAfter('2026-10-25', '01:30', tz)).toBe(utc('2026-10-25T00:30:00Z'));
    expect(firstInstantAtOrAfter('2026-10-25', '24:00', tz)).toBe(utc('2026-10-26T00:00:00Z'));
  });

  it('follows the local grid in a zone 45 minutes off the hour', () => {
    const tz = 'Asia/Kathmandu';
    const nine = zonedToUtc('2026-06-15', '09:00', tz);
    expect(nine).toBe(utc('2026-06-15T03:15:00Z'));
    expect(isOnGrid(nine, tz)).toBe(true);
    expect(isOnGrid(nine + 5 * MIN, tz)).toBe(true);
    expect(isOnGrid(nine + 2 * MIN, tz)).toBe(false);
    expect(isOnGrid(nine + 1000, tz)).toBe(false);
    expect(isOnGrid(nine, tz, 15)).toBe(true);
    expect(isOnGrid(nine + 10 * MIN, tz, 15)).toBe(false);
    expect(gridSlots('2026-06-15', tz, 15)[36]!.time).toBe('09:00');
  });

  it('rejects unknown zones, dates and times with typed errors', () => {
    const fieldOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
        return (e as AppError).fields?.[0]?.path;
      }
      return 'no error';
    };
    expect(fieldOf(() => zonedToUtc('2026-01-01', '09:00', 'Mars/Olympus'))).toBe('timeZone');
    expect(fieldOf(() => zonedToUtc('2026-02-30', '09:00', 'UTC'))).toBe('date');
    expect(fieldOf(() => zonedToUtc('2026-01-01', '9:00', 'UTC'))).toBe('time');
    expect(fieldOf(() => zonedToUtc('2026-01-01', '24:00', 'UTC'))).toBe('time');
  });

  it('knows weekdays and ISO instants', () => {
    expect(weekdayOf('2026-03-29')).toBe('sun');
    expect(weekdayOf('2026-03-30')).toBe('mon');
    expect(instantFromIso('2026-03-29T09:00:00+01:00')).toBe(utc('2026-03-29T08:00:00Z'));
    expect(instantFromIso('2026-03-29 09:00')).toBeNull();
  });

  it('agrees with Intl at random instants in every test zone (property)', () => {
    const from = Date.UTC(1975, 0, 1);
    const to = Date.UTC(2090, 0, 1);
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES, 'America/Sao_Paulo', 'Pacific/Apia', 'America/St_Johns'),
        fc.integer({ min: from / MIN, max: to / MIN }),
        (tz, minute) => {
          const t = minute * MIN;
          const mine = utcToZoned(t, tz);
          const ref = referenceWall(t, tz);
          expect(mine.date).toBe(ref.date);
          expect(mine.weekday).toBe(ref.weekday);
          expect(mine.msIntoDay).toBe(ref.minute * MIN);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads the local dates of a run of nearby instants as Intl does, across offset changes (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES, 'America/Sao_Paulo', 'Pacific/Apia', 'America/St_Johns'),
        fc.constantFrom(...DAYS),
        // Steps back and forth across a few days, as a week of appointments in start order
        // (with the odd one out of order) crosses midnights and offset changes.
        fc.array(fc.integer({ min: -6 * 60, max: 30 * 60 }), { minLength: 1, maxLength: 60 }),
        (tz, day, steps) => {
          const read = localDateReader(tz);
          let t = Date.parse(`${day}T00:00:00Z`) - 36 * HOUR;
          for (const step of steps) {
            t += step * MIN;
            expect(read(t)).toBe(referenceWall(t, tz).date);
            expect(read(t - 1)).toBe(referenceWall(t - 1, tz).date);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips wall time that exists, and lands near the gap for time that does not (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES, 'America/Sao_Paulo', 'America/Santiago'),
        fc.integer({ min: 0, max: 365 * 60 }),
        fc.integer({ min: 0, max: 24 * 12 - 1 }),
        (tz, dayIndex, slot) => {
          const date = addDays('2000-01-01', dayIndex);
          const time = `${String(Math.floor(slot / 12)).padStart(2, '0')}:${String((slot % 12) * 5).padStart(2, '0')}`;
          const t = zonedToUtc(date, time, tz);
          const back = utcToZoned(t, tz);
          const bounds = dayBounds(date, tz);
          if (back.date === date && back.time === time) {
            // Existing time: the first occurrence, so no earlier instant shows it.
            const earlier = zonedToUtc(date, time, tz, 'earlier');
            expect(earlier).toBe(t);
          } else {
            // A gap: 'compatible' moves forward by the gap, so the clock reads later.
            expect(() => zonedToUtc(date, time, tz, 'reject')).toThrow(AppError);
            expect(back.date + back.time > date + time).toBe(true);
            expect(t - zonedToUtc(date, time, tz, 'earlier')).toBeLessThanOrEqual(2 * HOUR);
          }
          expect(t).toBeGreaterThanOrEqual(bounds.start);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
