/**
 * Late cancellation: was the clinic given the notice its policy asks for?
 *
 * Design:
 * - Two policies, as clinics phrase them: `hours_before` ("24 hours' notice") and
 *   `day_before_at` ("by 17:00 the working day before" is `{ daysBefore: 1, time: '17:00' }`).
 * - Hours are counted on the clinic's wall clock, not in elapsed time: 24 hours before a 09:00
 *   appointment is 09:00 the day before even across a daylight-saving change, which is how
 *   patients read the rule. A deadline falling in a spring gap moves forward by the gap.
 * - Cancelling exactly at the deadline is in time; after it (including after the start) is
 *   late. A policy of 0 hours flags only cancellations after the start.
 * - The flag is decided at cancellation time and stored with the appointment by the service;
 *   a later policy change does not rewrite history. No-shows are their own status, not late
 *   cancellations.
 */
import { z } from 'zod';
import { instantSchema, localTimeSchema } from './model';
import {
  HOUR_MS,
  MINUTE_MS,
  addDays,
  parseLocalTime,
  resolveWall,
  resolveWallTime,
  utcToZoned,
  zoneDay,
} from './time';
import type { Instant } from './time';

export const lateCancellationPolicySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('hours_before'),
    hours: z
      .number()
      .int('Use whole hours')
      .min(0)
      .max(24 * 14, 'At most two weeks'),
  }),
  z.strictObject({
    kind: z.literal('day_before_at'),
    daysBefore: z.number().int().min(1, 'At least one day').max(14, 'At most two weeks'),
    time: localTimeSchema,
  }),
]);
export type LateCancellationPolicy = z.output<typeof lateCancellationPolicySchema>;

export const DEFAULT_LATE_CANCELLATION_POLICY: LateCancellationPolicy = {
  kind: 'hours_before',
  hours: 24,
};

export const cancellationInputSchema = z.strictObject({
  appointmentStart: instantSchema,
  cancelledAt: instantSchema,
  policy: lateCancellationPolicySchema,
  timeZone: z.string().min(1).max(64),
});

export interface CancellationAssessment {
  late: boolean;
  /** The last instant at which cancelling was still in time. */
  deadline: Instant;
  /** Notice actually given, in whole minutes; negative after the start. */
  noticeMinutes: number;
}

/** The last instant at which the appointment can be cancelled in time under the policy. */
export function cancellationDeadline(
  appointmentStart: Instant,
  policy: LateCancellationPolicy,
  timeZone: string,
): Instant {
  const local = utcToZoned(appointmentStart, timeZone);
  if (policy.kind === 'hours_before') {
    const day = zoneDay(local.date, timeZone);
    const wall = day.wallMidnight + local.msIntoDay - policy.hours * HOUR_MS;
    // Around an autumn repeat the wall-clock answer could land after the start; never allow it.
    return Math.min(resolveWallTime(wall, timeZone), appointmentStart);
  }
  const day = zoneDay(addDays(local.date, -policy.daysBefore), timeZone);
  return resolveWall(day, parseLocalTime(policy.time) * MINUTE_MS);
}

export function assessCancellation(input: {
  appointmentStart: Instant;
  cancelledAt: Instant;
  policy: LateCancellationPolicy;
  timeZone: string;
}): CancellationAssessment {
  const deadline = cancellationDeadline(input.appointmentStart, input.policy, input.timeZone);
  return {
    late: input.cancelledAt > deadline,
    deadline,
    noticeMinutes: Math.floor((input.appointmentStart - input.cancelledAt) / MINUTE_MS),
  };
}
