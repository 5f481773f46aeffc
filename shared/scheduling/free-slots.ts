/**
 * "Find the next free slot": candidate times for a booking over the coming weeks.
 *
 * Design:
 * - A slot is free when, for one chair and one provider, the whole [start, start + length)
 *   lies in the clinic's opening hours, in the provider's working time (if they have a
 *   schedule), outside every closure that applies, and clear of appointments that hold time for
 *   that chair, that provider and, if given, the patient. That is exactly "booking it would add
 *   no conflict": the tests check the two against each other.
 * - Appointments are filed under the UTC days they touch in one pass. For each searched day we
 *   build sorted interval lists from that day's buckets and keep, for every chair and provider,
 *   the range of start instants at which the slot fits; starts are then read off the union of
 *   the chairs' ranges intersected with the union of the providers'. Work follows the days
 *   actually searched, so a slot found tomorrow costs little whatever the horizon.
 * - Starts lie on the wall-clock grid (`stepMinutes`, default 5) and a slot stays within one
 *   local date. One result per start time, in time order, with the first free chair and
 *   provider in the order the set-up lists them (the caller's display order).
 * - Preferred time ranges: the slot must fit wholly inside them (a patient who must be done by
 *   09:00 means it); ranges that touch or overlap count as one.
 */
import { z } from 'zod';
import { id, isoDate } from '../domain/common';
import { createCalendar } from './availability';
import {
  containsInstant,
  intersectIntervals,
  mergeIntervals,
  startsThatFit,
  subtractIntervals,
} from './intervals';
import {
  MAX_APPOINTMENT_MINUTES,
  holdsTime,
  instantSchema,
  timeRangeSchema,
  weekdaySchema,
} from './model';
import type { Appointment, SchedulingSetup } from './model';
import { fieldIssues, validationError } from './validate';
import {
  DAY_MS,
  GRID_MINUTES,
  MINUTE_MS,
  addDays,
  alignedInstants,
  formatLocalTime,
  parseLocalTime,
  wallRangeToIntervals,
} from './time';
import type { FieldIssue } from '../errors';
import type { Instant, Interval } from './time';

export const freeSlotRequestSchema = z
  .strictObject({
    /** Gives the length (unless `durationMinutes` is set) and who may do it. */
    typeId: id.optional(),
    durationMinutes: z
      .number()
      .int('Use whole minutes')
      .min(GRID_MINUTES, 'At least 5 minutes')
      .max(MAX_APPOINTMENT_MINUTES, 'At most 12 hours')
      .multipleOf(GRID_MINUTES, 'Use 5-minute steps')
      .optional(),
    providerId: id.optional(),
    chairId: id.optional(),
    /** Keeps the patient from being booked twice at once. */
    patientId: id.optional(),
    preferredWeekdays: z.array(weekdaySchema).max(7).optional(),
    preferredTimeRanges: z.array(timeRangeSchema).max(12).optional(),
    /** First local date searched. */
    fromDate: isoDate,
    /** Earliest start, typically "now" when searching from today. */
    notBefore: instantSchema.optional(),
    weeks: z.number().int().min(1, 'At least one week').max(52, 'At most 52 weeks'),
    limit: z.number().int().min(1).max(500).optional(),
    maxPerDay: z.number().int().min(1).max(288).optional(),
    stepMinutes: z
      .union([z.literal(5), z.literal(10), z.literal(15), z.literal(30), z.literal(60)])
      .optional(),
  })
  .refine((r) => r.typeId !== undefined || r.durationMinutes !== undefined, {
    message: 'Choose an appointment type or a length',
    path: ['typeId'],
  });
export type FreeSlotRequest = z.input<typeof freeSlotRequestSchema>;

export const DEFAULT_FREE_SLOT_LIMIT = 10;

export interface FreeSlot {
  start: Instant;
  end: Instant;
  /** Local date and wall time of the start. */
  date: string;
  time: string;
  chairId: string;
  providerId: string;
}

export interface FreeSlotContext {
  setup: SchedulingSetup;
  /** Appointments in the search horizon; those cancelled or no-show are ignored. */
  appointments: readonly Appointment[];
}

function addTo(map: Map<string, Interval[]>, key: string, span: Interval): void {
  const list = map.get(key);
  if (list) list.push(span);
  else map.set(key, [span]);
}

export function findFreeSlots(request: FreeSlotRequest, context: FreeSlotContext): FreeSlot[] {
  const parsed = freeSlotRequestSchema.safeParse(request);
  if (!parsed.success) throw validationError(fieldIssues(parsed.error));
  const req = parsed.data;
  const { setup } = context;
  const issues: FieldIssue[] = [];

  const type = req.typeId ? setup.appointmentTypes.find((t) => t.id === req.typeId) : undefined;
  if (req.typeId && !type)
    issues.push({ path: 'typeId', message: 'This appointment type is not set up' });
  const qualified = (kind: (typeof setup.providers)[number]['kind']) =>
    !type || type.allowedProviderKinds.includes(kind);

  let providers = setup.providers.filter((p) => p.active !== false && qualified(p.kind));
  if (req.providerId) {
    const p = setup.providers.find((x) => x.id === req.providerId);
    if (!p) issues.push({ path: 'providerId', message: 'This provider is not set up' });
    else if (p.active === false) {
      issues.push({ path: 'providerId', message: 'This provider no longer takes bookings' });
    } else if (!qualified(p.kind)) {
      issues.push({
        path: 'providerId',
        message: 'This provider cannot do this type of appointment',
      });
    }
    providers = p ? [p] : [];
  }
  let chairs = setup.chairs.filter((c) => c.active !== false);
  if (req.chairId) {
    const c = setup.chairs.find((x) => x.id === req.chairId);
    if (!c) issues.push({ path: 'chairId', message: 'This chair is not set up' });
    else if (c.active === false)
      issues.push({ path: 'chairId', message: 'This chair is no longer in use' });
    chairs = c ? [c] : [];
  }
  if (issues.length > 0) throw validationError(issues);

  const lengthMs = (req.durationMinutes ?? type!.durationUnits * GRID_MINUTES) * MINUTE_MS;
  const limit = req.limit ?? DEFAULT_FREE_SLOT_LIMIT;
  const stepMinutes = req.stepMinutes ?? GRID_MINUTES;
  const weekdays = req.preferredWeekdays ? new Set(req.preferredWeekdays) : null;
  const preferred = req.preferredTimeRanges?.map((r) => [
    parseLocalTime(r.start),
    parseLocalTime(r.end, true),
  ]);

  // One pass files the relevant appointments under the UTC days they touch; each searched day
  // then builds its busy lists from two or three buckets, so the work follows the days
  // actually searched rather than the size of the horizon.
  const chairIds = new Set(chairs.map((c) => c.id));
  const providerIds = new Set(providers.map((p) => p.id));
  const buckets = new Map<number, Appointment[]>();
  for (const a of context.appointments) {
    if (!holdsTime(a.status) || a.end <= a.start) continue;
    if (
      !chairIds.has(a.chairId) &&
      !providerIds.has(a.providerId) &&
      a.patientId !== req.patientId
    ) {
      continue;
    }
    const first = Math.floor(a.start / DAY_MS);
    const last = Math.min(Math.floor((a.end - 1) / DAY_MS), first + 400);
    for (let d = first; d <= last; d++) {
      const list = buckets.get(d);
      if (list) list.push(a);
      else buckets.set(d, [a]);
    }
  }
  const sortedBuckets = new Set<number>();
  const busyOn = (from: Instant, to: Instant) => {
    const byChair = new Map<string, Interval[]>();
    const byProvider = new Map<string, Interval[]>();
    const patient: Interval[] = [];
    const firstBucket = Math.floor(from / DAY_MS);
    for (let d = firstBucket; d <= Math.floor((to - 1) / DAY_MS); d++) {
      const bucket = buckets.get(d);
      if (!bucket) continue;
      // Sorted once, so every resource's list comes out in order and merges without sorting.
      if (!sortedBuckets.has(d)) {
        bucket.sort((x, y) => x.start - y.start);
        sortedBuckets.add(d);
      }
      for (const a of bucket) {
        if (a.start >= to || a.end <= from) continue;
        // An appointment filed under several days counts once: under the first one read here.
        if (Math.max(Math.floor(a.start / DAY_MS), firstBucket) !== d) continue;
        const span = { start: a.start, end: a.end };
        if (chairIds.has(a.chairId)) addTo(byChair, a.chairId, span);
        if (providerIds.has(a.providerId)) addTo(byProvider, a.providerId, span);
        if (a.patientId === req.patientId) patient.push(span);
      }
    }
    return { byChair, byProvider, patient: mergeIntervals(patient) };
  };

  const calendar = createCalendar(setup);
  const slots: FreeSlot[] = [];
  const days = req.weeks * 7;
  for (let n = 0; n < days && slots.length < limit; n++) {
    const date = addDays(req.fromDate, n);
    const day = calendar.day(date);
    if (weekdays && !weekdays.has(day.weekday)) continue;

    let window = calendar.openOn(date).slice();
    if (window.length === 0) continue;
    window = subtractIntervals(window, mergeIntervals(calendar.clinicClosures(day.start, day.end)));
    if (req.notBefore !== undefined) {
      window = intersectIntervals(window, [{ start: req.notBefore, end: day.end }]);
    }
    if (preferred) {
      window = intersectIntervals(
        window,
        mergeIntervals(preferred.flatMap(([s, e]) => wallRangeToIntervals(day, s!, e!))),
      );
    }
    if (window.length === 0) continue;
    const busy = busyOn(day.start, day.end);
    window = subtractIntervals(window, busy.patient);
    if (window.length === 0) continue;

    const chairStarts = chairs.map((c) =>
      startsThatFit(
        subtractIntervals(
          subtractIntervals(
            window,
            mergeIntervals(calendar.chairClosures(c.id, day.start, day.end)),
          ),
          mergeIntervals(busy.byChair.get(c.id) ?? []),
        ),
        lengthMs,
      ),
    );
    const providerStarts = providers.map((p) => {
      const working = calendar.workingOn(p.id, date);
      const base = working ? intersectIntervals(window, working) : window;
      return startsThatFit(
        subtractIntervals(
          subtractIntervals(
            base,
            mergeIntervals(calendar.providerClosures(p.id, day.start, day.end)),
          ),
          mergeIntervals(busy.byProvider.get(p.id) ?? []),
        ),
        lengthMs,
      );
    });
    const starts = intersectIntervals(
      mergeIntervals(chairStarts.flat()),
      mergeIntervals(providerStarts.flat()),
    );

    let today = 0;
    for (const range of starts) {
      alignedInstants(day, range.start, range.end, stepMinutes, (start, offsetMs) => {
        const chair = chairStarts.findIndex((s) => containsInstant(s, start));
        const provider = providerStarts.findIndex((s) => containsInstant(s, start));
        slots.push({
          start,
          end: start + lengthMs,
          date,
          time: formatLocalTime(Math.floor((start + offsetMs - day.wallMidnight) / MINUTE_MS)),
          chairId: chairs[chair]!.id,
          providerId: providers[provider]!.id,
        });
        today++;
        return slots.length < limit && (req.maxPerDay === undefined || today < req.maxPerDay);
      });
      if (slots.length >= limit || (req.maxPerDay !== undefined && today >= req.maxPerDay)) break;
    }
  }
  return slots;
}
