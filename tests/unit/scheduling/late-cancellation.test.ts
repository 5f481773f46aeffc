import { describe, expect, it } from 'vitest';
import {
  assessCancellation,
  cancellationDeadline,
  lateCancellationPolicySchema,
  zonedToUtc,
} from '../../../shared/scheduling';
import type { LateCancellationPolicy } from '../../../shared/scheduling';
import { HOUR, MIN } from './fixtures';

const TZ = 'Europe/London';
const utc = (iso: string) => Date.parse(iso);
const DAY_NOTICE: LateCancellationPolicy = { kind: 'hours_before', hours: 24 };

describe('late cancellation', () => {
  it('is in time up to and including the deadline, late after it', () => {
    const start = zonedToUtc('2026-06-16', '09:00', TZ);
    const deadline = zonedToUtc('2026-06-15', '09:00', TZ);
    const at = (cancelledAt: number) =>
      assessCancellation({
        appointmentStart: start,
        cancelledAt,
        policy: DAY_NOTICE,
        timeZone: TZ,
      });
    expect(at(deadline - MIN)).toEqual({ late: false, deadline, noticeMinutes: 24 * 60 + 1 });
    expect(at(deadline).late).toBe(false);
    expect(at(deadline + MIN)).toEqual({ late: true, deadline, noticeMinutes: 24 * 60 - 1 });
    expect(at(start + 10 * MIN)).toEqual({ late: true, deadline, noticeMinutes: -10 });
  });

  it('counts notice hours on the wall clock across a daylight-saving change', () => {
    // Sunday 29 March 2026 09:00 BST; 24 hours' notice means Saturday 09:00 GMT (23 real hours).
    const sunday = zonedToUtc('2026-03-29', '09:00', TZ);
    expect(sunday).toBe(utc('2026-03-29T08:00:00Z'));
    expect(cancellationDeadline(sunday, DAY_NOTICE, TZ)).toBe(utc('2026-03-28T09:00:00Z'));
    const cancelledAt = utc('2026-03-28T08:30:00Z');
    expect(
      assessCancellation({
        appointmentStart: sunday,
        cancelledAt,
        policy: DAY_NOTICE,
        timeZone: TZ,
      }),
    ).toEqual({ late: false, deadline: utc('2026-03-28T09:00:00Z'), noticeMinutes: 23 * 60 + 30 });
    // New York autumn: Monday 2 November 09:00 EST; 48 hours before is Saturday 09:00 EDT.
    const ny = zonedToUtc('2026-11-02', '09:00', 'America/New_York');
    expect(cancellationDeadline(ny, { kind: 'hours_before', hours: 48 }, 'America/New_York')).toBe(
      utc('2026-10-31T13:00:00Z'),
    );
    expect(ny - utc('2026-10-31T13:00:00Z')).toBe(49 * HOUR);
  });

  it('supports "by 17:00 the day before" and a zero-hour policy', () => {
    const monday = zonedToUtc('2026-03-30', '09:00', TZ);
    const policy: LateCancellationPolicy = { kind: 'day_before_at', daysBefore: 1, time: '17:00' };
    const deadline = zonedToUtc('2026-03-29', '17:00', TZ);
    expect(cancellationDeadline(monday, policy, TZ)).toBe(deadline);
    expect(
      assessCancellation({
        appointmentStart: monday,
        cancelledAt: deadline + MIN,
        policy,
        timeZone: TZ,
      }).late,
    ).toBe(true);
    const none: LateCancellationPolicy = { kind: 'hours_before', hours: 0 };
    expect(
      assessCancellation({
        appointmentStart: monday,
        cancelledAt: monday,
        policy: none,
        timeZone: TZ,
      }).late,
    ).toBe(false);
    expect(
      assessCancellation({
        appointmentStart: monday,
        cancelledAt: monday + MIN,
        policy: none,
        timeZone: TZ,
      }).late,
    ).toBe(true);
  });

  it('never puts the deadline after the start, even in the repeated autumn hour', () => {
    // 01:30 GMT, the second 01:30 of 25 October 2026 in London.
    const second = zonedToUtc('2026-10-25', '01:30', TZ, 'later');
    for (const hours of [0, 1, 2, 24]) {
      expect(cancellationDeadline(second, { kind: 'hours_before', hours }, TZ)).toBeLessThanOrEqual(
        second,
      );
    }
  });

  it('validates policies', () => {
    expect(
      lateCancellationPolicySchema.safeParse({ kind: 'hours_before', hours: 24 }).success,
    ).toBe(true);
    expect(
      lateCancellationPolicySchema.safeParse({ kind: 'hours_before', hours: -1 }).success,
    ).toBe(false);
    expect(
      lateCancellationPolicySchema.safeParse({ kind: 'hours_before', hours: 1.5 }).success,
    ).toBe(false);
    expect(
      lateCancellationPolicySchema.safeParse({
        kind: 'day_before_at',
        daysBefore: 0,
        time: '17:00',
      }).success,
    ).toBe(false);
    expect(
      lateCancellationPolicySchema.safeParse({
        kind: 'day_before_at',
        daysBefore: 1,
        time: '17:03',
      }).success,
    ).toBe(false);
  });
});
