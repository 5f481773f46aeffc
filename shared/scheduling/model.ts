/**
 * The appointment book's data: clinic set-up (chairs, providers, appointment types, hours,
 * closures), appointments and conflict acknowledgements, as zod schemas with their types.
 *
 * Design:
 * - `start`/`end` of appointments are UTC instants in integer epoch milliseconds (`Instant`):
 *   comparisons in the sweeps are plain number comparisons, they store as INTEGER columns and
 *   they cannot carry a wrong offset. time.ts converts to and from the clinic's wall clock;
 *   `instantToIso` gives ISO text where a string is wanted.
 * - Hours are wall-clock `HH:MM` ranges on the 5-minute grid, `end` exclusive and allowed to be
 *   `24:00`; they never cross midnight (a dental clinic does not work overnight).
 * - Per-date entries replace the weekday's hours for that date; an empty `hours` list is a day
 *   off. A provider with no schedule at all works whenever the clinic is open.
 * - Closures are whole days by default; `startTime` on the first day and `endTime` on the last
 *   narrow them. No chair and no provider means the whole clinic.
 * - Retired chairs, providers and types stay in the set-up with `active: false` so that old
 *   appointments keep their references; new bookings cannot use them.
 * - Accepting a conflict is an insert-only `ConflictAcknowledgement` row naming the conflict id
 *   (see conflicts.ts), not a field on the appointment: acceptances made on two workstations
 *   offline both survive the merge, and each carries who, when and why.
 * - Ids are opaque strings compared by code unit, never by locale, so every replica sorts the
 *   same way.
 */
import { z } from 'zod';
import { isValidTimeZone } from '../dates';
import { id, isoDate, optionalText, requiredText } from '../domain/common';
import { GRID_MINUTES, WEEKDAYS, isLocalTime, parseLocalTime } from './time';

export const PROVIDER_KINDS = ['dentist', 'hygienist', 'other'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const APPOINTMENT_STATUSES = [
  'booked',
  'confirmed',
  'arrived',
  'in_chair',
  'completed',
  'cancelled',
  'no_show',
] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/** Statuses that no longer hold the chair, the provider or the patient's time. */
export const RELEASED_STATUSES: readonly AppointmentStatus[] = ['cancelled', 'no_show'];

export function holdsTime(status: AppointmentStatus): boolean {
  return status !== 'cancelled' && status !== 'no_show';
}

/** Longest appointment the book accepts. */
export const MAX_APPOINTMENT_MINUTES = 12 * 60;

// Instants between 1970 and 2200: enough for imported history and far bookings, and inside the
// range where Date arithmetic and Intl agree.
const MIN_INSTANT = 0;
const MAX_INSTANT = Date.UTC(2200, 0, 1);

export const instantSchema = z
  .number({ message: 'Enter a date and time' })
  .int('Enter a date and time to the millisecond')
  .min(MIN_INSTANT, 'Enter a date after 1970')
  .max(MAX_INSTANT, 'Enter a date before 2200');

export const colourSchema = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'Use a colour like #1E88E5');

/** `HH:MM` on the 5-minute grid. */
export const localTimeSchema = z
  .string()
  .refine((t) => isLocalTime(t), 'Enter a time as HH:MM, e.g. 09:30')
  .refine(
    (t) => !isLocalTime(t) || parseLocalTime(t) % GRID_MINUTES === 0,
    'Use 5-minute steps, e.g. 09:05',
  );

/** `HH:MM` on the 5-minute grid, or `24:00` for the end of the day. */
export const endTimeSchema = z
  .string()
  .refine((t) => isLocalTime(t, true), 'Enter a time as HH:MM, e.g. 17:30')
  .refine(
    (t) => !isLocalTime(t, true) || parseLocalTime(t, true) % GRID_MINUTES === 0,
    'Use 5-minute steps, e.g. 17:05',
  );

export const timeRangeSchema = z
  .strictObject({ start: localTimeSchema, end: endTimeSchema })
  .refine(
    (r) =>
      !isLocalTime(r.start) ||
      !isLocalTime(r.end, true) ||
      parseLocalTime(r.start) < parseLocalTime(r.end, true),
    { message: 'The end must be after the start', path: ['end'] },
  );
export type TimeRange = z.output<typeof timeRangeSchema>;

export const weekdaySchema = z.enum(WEEKDAYS);

const ranges = z.array(timeRangeSchema).max(12, 'At most 12 ranges a day');

export const chairSchema = z.strictObject({
  id,
  name: requiredText(60, 'Chair name'),
  /** False once retired; missing means in use. */
  active: z.boolean().optional(),
});
export type Chair = z.output<typeof chairSchema>;

export const providerSchema = z.strictObject({
  id,
  name: requiredText(120, 'Name'),
  kind: z.enum(PROVIDER_KINDS),
  colour: colourSchema,
  active: z.boolean().optional(),
});
export type Provider = z.output<typeof providerSchema>;

export const appointmentTypeSchema = z.strictObject({
  id,
  name: requiredText(80, 'Type name'),
  /** Default length in 5-minute units: 6 = 30 minutes. */
  durationUnits: z
    .number()
    .int('Use whole 5-minute units')
    .min(1, 'At least 5 minutes')
    .max(MAX_APPOINTMENT_MINUTES / GRID_MINUTES, 'At most 12 hours'),
  colour: colourSchema,
  allowedProviderKinds: z
    .array(z.enum(PROVIDER_KINDS))
    .min(1, 'Choose who may do this type')
    .max(PROVIDER_KINDS.length)
    .refine((k) => new Set(k).size === k.length, 'Each kind only once'),
  /** Procedure codes proposed when the appointment is booked. */
  defaultProcedureCodes: z.array(z.string().trim().min(1).max(20)).max(30).optional(),
  active: z.boolean().optional(),
});
export type AppointmentType = z.output<typeof appointmentTypeSchema>;

function weeklyOf<S extends z.ZodType>(day: S) {
  return z.strictObject({
    mon: day.optional(),
    tue: day.optional(),
    wed: day.optional(),
    thu: day.optional(),
    fri: day.optional(),
    sat: day.optional(),
    sun: day.optional(),
  });
}

const uniqueDates = (entries: readonly { date: string }[]) =>
  new Set(entries.map((e) => e.date)).size === entries.length;

/** The clinic's doors: weekday ranges (a missing weekday is closed) and per-date replacements. */
export const openingHoursSchema = z.strictObject({
  weekly: weeklyOf(ranges),
  dates: z
    .array(z.strictObject({ date: isoDate, hours: ranges }))
    .max(1000)
    .refine(uniqueDates, 'Each date only once')
    .optional(),
});
export type OpeningHours = z.output<typeof openingHoursSchema>;

export const providerDaySchema = z.strictObject({
  hours: ranges,
  /** Taken out of `hours`: lunch, admin time. */
  breaks: ranges.optional(),
});
export type ProviderDay = z.output<typeof providerDaySchema>;

export const providerScheduleSchema = z.strictObject({
  providerId: id,
  weekly: weeklyOf(providerDaySchema),
  dates: z
    .array(providerDaySchema.extend({ date: isoDate }))
    .max(1000)
    .refine(uniqueDates, 'Each date only once')
    .optional(),
});
export type ProviderSchedule = z.output<typeof providerScheduleSchema>;

export const closureSchema = z
  .strictObject({
    id,
    startDate: isoDate,
    /** Inclusive. */
    endDate: isoDate,
    /** On `startDate`; whole day when missing. */
    startTime: localTimeSchema.optional(),
    /** On `endDate`, exclusive; whole day when missing. */
    endTime: endTimeSchema.optional(),
    chairId: id.nullable().optional(),
    providerId: id.nullable().optional(),
    reason: optionalText(200),
  })
  .refine((c) => !(c.chairId && c.providerId), {
    message: 'A closure is for the clinic, one chair or one provider',
    path: ['providerId'],
  })
  .refine(
    (c) =>
      c.startDate < c.endDate ||
      (c.startDate === c.endDate &&
        (!c.startTime ||
          !c.endTime ||
          !isLocalTime(c.startTime) ||
          !isLocalTime(c.endTime, true) ||
          parseLocalTime(c.startTime) < parseLocalTime(c.endTime, true))),
    { message: 'The closure must end after it starts', path: ['endDate'] },
  );
export type Closure = z.output<typeof closureSchema>;

export const schedulingSetupSchema = z
  .strictObject({
    timeZone: z
      .string()
      .max(64)
      .refine(isValidTimeZone, 'Choose a valid time zone, e.g. Europe/London'),
    chairs: z.array(chairSchema).max(200),
    providers: z.array(providerSchema).max(500),
    appointmentTypes: z.array(appointmentTypeSchema).max(500),
    openingHours: openingHoursSchema,
    providerSchedules: z.array(providerScheduleSchema).max(500),
    closures: z.array(closureSchema).max(5000),
  })
  .superRefine((s, ctx) => {
    const unique = (path: string, ids: readonly string[]) => {
      const seen = new Set<string>();
      ids.forEach((v, i) => {
        if (seen.has(v)) ctx.addIssue({ code: 'custom', message: 'Listed twice', path: [path, i] });
        seen.add(v);
      });
    };
    unique(
      'chairs',
      s.chairs.map((c) => c.id),
    );
    unique(
      'providers',
      s.providers.map((p) => p.id),
    );
    unique(
      'appointmentTypes',
      s.appointmentTypes.map((t) => t.id),
    );
    unique(
      'providerSchedules',
      s.providerSchedules.map((p) => p.providerId),
    );
    unique(
      'closures',
      s.closures.map((c) => c.id),
    );
    const providers = new Set(s.providers.map((p) => p.id));
    const chairs = new Set(s.chairs.map((c) => c.id));
    s.providerSchedules.forEach((ps, i) => {
      if (!providers.has(ps.providerId)) {
        ctx.addIssue({
          code: 'custom',
          message: 'Unknown provider',
          path: ['providerSchedules', i, 'providerId'],
        });
      }
    });
    s.closures.forEach((c, i) => {
      if (c.chairId && !chairs.has(c.chairId)) {
        ctx.addIssue({
          code: 'custom',
          message: 'Unknown chair',
          path: ['closures', i, 'chairId'],
        });
      }
      if (c.providerId && !providers.has(c.providerId)) {
        ctx.addIssue({
          code: 'custom',
          message: 'Unknown provider',
          path: ['closures', i, 'providerId'],
        });
      }
    });
  });
/** Everything the scheduling rules need to know about the clinic, in one value. */
export type SchedulingSetup = z.output<typeof schedulingSetupSchema>;

export const appointmentSchema = z
  .strictObject({
    id,
    patientId: id,
    chairId: id,
    providerId: id,
    typeId: id,
    start: instantSchema,
    end: instantSchema,
    status: z.enum(APPOINTMENT_STATUSES),
  })
  .refine((a) => a.end > a.start, { message: 'The end must be after the start', path: ['end'] });
/** A booked appointment as the rules see it; the service adds notes, audit fields and so on. */
export type Appointment = z.output<typeof appointmentSchema>;

export const conflictAcknowledgementSchema = z.strictObject({
  id,
  /** A `Conflict.id` from computeConflicts. */
  conflictId: z.string().min(1).max(300),
  reason: requiredText(500, 'Reason'),
  acknowledgedBy: id,
  acknowledgedAt: instantSchema,
});
export type ConflictAcknowledgement = z.output<typeof conflictAcknowledgementSchema>;
