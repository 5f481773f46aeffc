/**
 * Clinic-local wall time <-> UTC instants, using only the platform's Intl time-zone data.
 *
 * Design:
 * - An `Instant` is integer epoch milliseconds (UTC). Calendar dates are `YYYY-MM-DD` and wall
 *   times `HH:MM`, both read in the clinic's IANA time zone.
 * - For each local date we ask Intl for the zone's offset at three points of a 52-hour window
 *   around it, binary-search the exact second of any offset change, and cache the result as a
 *   `ZoneDay`: constant-offset segments. Every later conversion is arithmetic, which keeps the
 *   schedule algorithms fast and exact across daylight-saving changes. Assumption: at most one
 *   offset change in each 26-hour half of that window, which modern tz rules satisfy (changes
 *   are weeks apart).
 * - A wall time that does not exist (spring gap) or occurs twice (autumn overlap) resolves as
 *   Temporal's default ('compatible'): a skipped time moves forward by the gap, a repeated time
 *   takes its first occurrence. Callers may ask for 'earlier', 'later' or 'reject' instead.
 * - Wall-clock ranges (opening hours, breaks) are sets: an instant is inside `09:00-17:00` on a
 *   date when the clinic's clock shows that date and a time in [09:00, 17:00). On an autumn day
 *   a range over the repeated hour therefore covers it twice; in a spring gap it covers nothing.
 */
import { AppError } from '../errors';
import { isIsoDate } from '../dates';

/** Epoch milliseconds, UTC. */
export type Instant = number;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/** The appointment book's grid, in minutes. */
export const GRID_MINUTES = 5;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export type Disambiguation = 'compatible' | 'earlier' | 'later' | 'reject';

export interface Interval {
  start: Instant;
  end: Instant;
}

/** A stretch of real time in which the zone's offset from UTC does not change. */
export interface OffsetSegment {
  readonly from: Instant;
  readonly to: Instant;
  /** Local wall time minus UTC, in milliseconds. */
  readonly offsetMs: number;
}

/** One local calendar date in one zone, with its real bounds. Cached and shared: read only. */
export interface ZoneDay {
  readonly timeZone: string;
  readonly date: string;
  readonly weekday: Weekday;
  /** The date's midnight read as if it were UTC: the origin of wall-time arithmetic. */
  readonly wallMidnight: number;
  /** First instant of the date. */
  readonly start: Instant;
  /** First instant of the next date. */
  readonly end: Instant;
  /** Covers the 52 hours around the date, so every instant of the date is in one segment. */
  readonly segments: readonly OffsetSegment[];
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const TIME_OR_MIDNIGHT = /^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$/;

/** Minutes since midnight of `HH:MM`; `24:00` only where `allowEndOfDay` says so. */
export function parseLocalTime(time: string, allowEndOfDay = false): number {
  const m = (allowEndOfDay ? TIME_OR_MIDNIGHT : TIME).exec(time);
  if (!m) {
    throw new AppError('VALIDATION', 'Enter a time as HH:MM.', [
      { path: 'time', message: 'Enter a time as HH:MM, e.g. 09:30' },
    ]);
  }
  const hours = Number(m[1] ?? m[3]);
  const minutes = Number(m[2] ?? m[4]);
  return hours * 60 + minutes;
}

export function isLocalTime(time: string, allowEndOfDay = false): boolean {
  return (allowEndOfDay ? TIME_OR_MIDNIGHT : TIME).test(time);
}

/** `HH:MM` for minutes since midnight (0..1440). */
export function formatLocalTime(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

// Dates are handled as day numbers (days since 1970-01-01) internally; strings are validated
// once and memoised both ways, because formatting and parsing dates dominated the profiles.
const dayNumbers = new Map<string, number>();
const dateStrings = new Map<number, string>();
const DATE_MEMO_LIMIT = 50_000;

function dayNumberOf(date: string): number {
  const known = dayNumbers.get(date);
  if (known !== undefined) return known;
  if (!isIsoDate(date)) {
    throw new AppError('VALIDATION', 'Enter a real date as YYYY-MM-DD.', [
      { path: 'date', message: 'Enter a real date as YYYY-MM-DD' },
    ]);
  }
  const n =
    Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8))) /
    DAY_MS;
  if (dayNumbers.size >= DATE_MEMO_LIMIT) dayNumbers.clear();
  dayNumbers.set(date, n);
  return n;
}

function dateOfDayNumber(n: number): string {
  const known = dateStrings.get(n);
  if (known !== undefined) return known;
  const date = new Date(n * DAY_MS).toISOString().slice(0, 10);
  if (dateStrings.size >= DATE_MEMO_LIMIT) dateStrings.clear();
  dateStrings.set(n, date);
  return date;
}

/** 1970-01-01, day 0, was a Thursday. */
function weekdayOfDayNumber(n: number): Weekday {
  return WEEKDAYS[(((n + 3) % 7) + 7) % 7]!;
}

export function addDays(date: string, days: number): string {
  return dateOfDayNumber(dayNumberOf(date) + days);
}

export function weekdayOf(date: string): Weekday {
  return weekdayOfDayNumber(dayNumberOf(date));
}

/** Whole calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return dayNumberOf(to) - dayNumberOf(from);
}

// ---------------------------------------------------------------------------------------------
// Offsets from Intl

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new AppError('VALIDATION', 'Choose a valid time zone.', [
        { path: 'timeZone', message: 'Choose a valid time zone, e.g. Europe/London' },
      ]);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset (wall minus UTC, ms) at an instant, straight from Intl. */
function intlOffsetAt(timeZone: string, instant: Instant): number {
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  for (const p of formatterFor(timeZone).formatToParts(instant)) {
    switch (p.type) {
      case 'year':
        y = Number(p.value);
        break;
      case 'month':
        mo = Number(p.value);
        break;
      case 'day':
        d = Number(p.value);
        break;
      case 'hour':
        // Some engines still print midnight as 24 despite h23.
        h = Number(p.value) % 24;
        break;
      case 'minute':
        mi = Number(p.value);
        break;
      case 'second':
        s = Number(p.value);
        break;
    }
  }
  const wholeSecond = instant - (((instant % 1000) + 1000) % 1000);
  return Date.UTC(y, mo - 1, d, h, mi, s) - wholeSecond;
}

/** First whole second in (low, high] whose offset differs from `offsetAtLow`. */
function findTransition(timeZone: string, low: Instant, high: Instant, offsetAtLow: number) {
  let lo = low;
  let hi = high;
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (intlOffsetAt(timeZone, mid) === offsetAtLow) lo = mid;
    else hi = mid;
  }
  return hi;
}

const zoneDays = new Map<string, Map<number, ZoneDay>>();
let zoneDayCount = 0;
const ZONE_DAY_CACHE_LIMIT = 20_000;

/** The cached description of one local date; the basis of every other conversion here. */
export function zoneDay(date: string, timeZone: string): ZoneDay {
  return zoneDayAt(dayNumberOf(date), timeZone);
}

function zoneDayAt(dayNumber: number, timeZone: string): ZoneDay {
  let days = zoneDays.get(timeZone);
  const cached = days?.get(dayNumber);
  if (cached) return cached;
  formatterFor(timeZone);
  if (!days || zoneDayCount >= ZONE_DAY_CACHE_LIMIT) {
    if (zoneDayCount >= ZONE_DAY_CACHE_LIMIT) {
      zoneDays.clear();
      zoneDayCount = 0;
    }
    days = new Map();
    zoneDays.set(timeZone, days);
  }
  const day = buildZoneDay(dayNumber, timeZone);
  days.set(dayNumber, day);
  zoneDayCount++;
  return day;
}

function buildZoneDay(dayNumber: number, timeZone: string): ZoneDay {
  const wallMidnight = dayNumber * DAY_MS;
  // Offsets lie within -12h..+14h, so the date's instants all fall inside this window.
  const low = wallMidnight - 15 * HOUR_MS;
  const high = wallMidnight + 37 * HOUR_MS;
  const middle = wallMidnight + 11 * HOUR_MS;
  const offLow = intlOffsetAt(timeZone, low);
  const offMiddle = intlOffsetAt(timeZone, middle);
  const offHigh = intlOffsetAt(timeZone, high);
  const segments: OffsetSegment[] = [];
  let from = low;
  if (offMiddle !== offLow) {
    const t = findTransition(timeZone, low, middle, offLow);
    segments.push({ from, to: t, offsetMs: offLow });
    from = t;
  }
  if (offHigh !== offMiddle) {
    const t = findTransition(timeZone, middle, high, offMiddle);
    segments.push({ from, to: t, offsetMs: offMiddle });
    from = t;
  }
  segments.push({ from, to: high, offsetMs: offHigh });
  return {
    timeZone,
    date: dateOfDayNumber(dayNumber),
    weekday: weekdayOfDayNumber(dayNumber),
    wallMidnight,
    start: firstAtOrAfter(segments, wallMidnight),
    end: firstAtOrAfter(segments, wallMidnight + DAY_MS),
    segments,
  };
}

/** First instant at which the wall clock reads `wall` or later (wall time as if UTC). */
function firstAtOrAfter(segments: readonly OffsetSegment[], wall: number): Instant {
  for (const seg of segments) {
    const t = Math.max(seg.from, wall - seg.offsetMs);
    if (t < seg.to) return t;
  }
  return segments[segments.length - 1]!.to;
}

function offsetIn(segments: readonly OffsetSegment[], instant: Instant): number {
  for (const seg of segments) if (instant < seg.to) return seg.offsetMs;
  return segments[segments.length - 1]!.offsetMs;
}

/**
 * The instant at which the local clock reads `msIntoDay` after midnight on the day (ms, 0..24h),
 * resolving gaps and repeats by `disambiguation`.
 */
export function resolveWall(
  day: ZoneDay,
  msIntoDay: number,
  disambiguation: Disambiguation = 'compatible',
): Instant {
  const wall = day.wallMidnight + msIntoDay;
  const candidates: Instant[] = [];
  for (const seg of day.segments) {
    const t = wall - seg.offsetMs;
    if (t >= seg.from && t < seg.to) candidates.push(t);
  }
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length > 1) {
    if (disambiguation === 'reject') throw ambiguous('This time occurs twice on that day.');
    return disambiguation === 'later' ? candidates[candidates.length - 1]! : candidates[0]!;
  }
  if (disambiguation === 'reject') throw ambiguous('This time does not exist on that day.');
  for (let i = 1; i < day.segments.length; i++) {
    const before = day.segments[i - 1]!;
    const after = day.segments[i]!;
    if (wall >= before.to + before.offsetMs && wall < after.from + after.offsetMs) {
      return disambiguation === 'earlier' ? wall - after.offsetMs : wall - before.offsetMs;
    }
  }
  // Unreachable for wall times within the day; fall back to the first instant at or after.
  return firstAtOrAfter(day.segments, wall);
}

function ambiguous(message: string): AppError {
  return new AppError('VALIDATION', message, [{ path: 'time', message }]);
}

/** Clinic-local date and `HH:MM` to a UTC instant. */
export function zonedToUtc(
  date: string,
  time: string,
  timeZone: string,
  disambiguation: Disambiguation = 'compatible',
): Instant {
  const day = zoneDay(date, timeZone);
  return resolveWall(day, parseLocalTime(time) * MINUTE_MS, disambiguation);
}

/**
 * First instant at which the local clock reads `date time` or later. Used for the edges of
 * closures: a closure "until 01:30" on an autumn day ends at the first 01:30.
 */
export function firstInstantAtOrAfter(date: string, time: string, timeZone: string): Instant {
  const minutes = parseLocalTime(time, true);
  const day = zoneDay(date, timeZone);
  return minutes === 24 * 60
    ? day.end
    : firstAtOrAfter(day.segments, day.wallMidnight + minutes * MINUTE_MS);
}

export interface ZonedTime {
  date: string;
  /** `HH:MM`, seconds dropped. */
  time: string;
  weekday: Weekday;
  /** Milliseconds since local midnight, as the wall clock reads them. */
  msIntoDay: number;
  /** Local minus UTC, in minutes (may be fractional for historical local mean time). */
  offsetMinutes: number;
}

/** A UTC instant as the clinic's wall clock reads it. */
export function utcToZoned(instant: Instant, timeZone: string): ZonedTime {
  const offsetMs = offsetAt(instant, timeZone);
  const wall = instant + offsetMs;
  const localDay = Math.floor(wall / DAY_MS);
  const msIntoDay = wall - localDay * DAY_MS;
  return {
    date: dateOfDayNumber(localDay),
    time: formatLocalTime(Math.floor(msIntoDay / MINUTE_MS)),
    weekday: weekdayOfDayNumber(localDay),
    msIntoDay,
    offsetMinutes: offsetMs / MINUTE_MS,
  };
}

/** Local minus UTC at the instant, in milliseconds. */
function offsetAt(instant: Instant, timeZone: string): number {
  // The window of the instant's UTC date covers the instant itself.
  return offsetIn(zoneDayAt(Math.floor(instant / DAY_MS), timeZone).segments, instant);
}

/** The local date an instant falls on. */
export function localDateOf(instant: Instant, timeZone: string): string {
  return dateOfDayNumber(Math.floor((instant + offsetAt(instant, timeZone)) / DAY_MS));
}

/**
 * `localDateOf` for one zone, for callers that convert many instants close together (a day's
 * appointments): the same arithmetic, with the last UTC day's segments and the last date kept
 * at hand instead of looked up each time.
 */
export function localDateReader(timeZone: string): (instant: Instant) => string {
  let utcDay = NaN;
  let segments: readonly OffsetSegment[] = [];
  let localDay = NaN;
  let date = '';
  return (instant) => {
    const day = Math.floor(instant / DAY_MS);
    if (day !== utcDay) {
      segments = zoneDayAt(day, timeZone).segments;
      utcDay = day;
    }
    const n = Math.floor((instant + offsetIn(segments, instant)) / DAY_MS);
    if (n !== localDay) {
      date = dateOfDayNumber(n);
      localDay = n;
    }
    return date;
  };
}

export interface DayBounds {
  date: string;
  start: Instant;
  end: Instant;
  /** Real length of the day: 1440, or 1380/1500 on daylight-saving days (1410/1470 at Lord Howe). */
  minutes: number;
}

export function dayBounds(date: string, timeZone: string): DayBounds {
  const day = zoneDay(date, timeZone);
  return { date, start: day.start, end: day.end, minutes: (day.end - day.start) / MINUTE_MS };
}

/**
 * The instants at which the local clock shows a time within [startMinutes, endMinutes) on the
 * day: usually one interval, two when the range spans an autumn repeat, none inside a gap.
 */
export function wallRangeToIntervals(
  day: ZoneDay,
  startMinutes: number,
  endMinutes: number,
): Interval[] {
  const out: Interval[] = [];
  const wallStart = day.wallMidnight + startMinutes * MINUTE_MS;
  const wallEnd = day.wallMidnight + endMinutes * MINUTE_MS;
  for (const seg of day.segments) {
    const start = Math.max(seg.from, wallStart - seg.offsetMs);
    const end = Math.min(seg.to, wallEnd - seg.offsetMs);
    if (start >= end) continue;
    const last = out[out.length - 1];
    if (last && last.end === start) last.end = end;
    else out.push({ start, end });
  }
  return out;
}

/**
 * Instants in [from, to) at which the local clock shows a whole multiple of `stepMinutes`,
 * in order. Follows the wall clock, so the grid stays on :00/:05/... after an offset change.
 */
export function alignedInstants(
  day: ZoneDay,
  from: Instant,
  to: Instant,
  stepMinutes: number,
  visit: (instant: Instant, offsetMs: number) => boolean | void,
): void {
  const stepMs = stepMinutes * MINUTE_MS;
  for (const seg of day.segments) {
    const lo = Math.max(from, seg.from);
    const hi = Math.min(to, seg.to);
    if (lo >= hi) continue;
    let t = Math.ceil((lo + seg.offsetMs) / stepMs) * stepMs - seg.offsetMs;
    for (; t < hi; t += stepMs) if (visit(t, seg.offsetMs) === false) return;
  }
}

export interface GridSlot {
  start: Instant;
  end: Instant;
  /** Wall-clock label; on an autumn day the repeated hour's labels appear twice. */
  time: string;
  offsetMinutes: number;
}

/** The day's grid slots of 5, 10 or 15 minutes, as many as the real day holds. */
export function gridSlots(
  date: string,
  timeZone: string,
  stepMinutes: 5 | 10 | 15 = 5,
): GridSlot[] {
  const day = zoneDay(date, timeZone);
  const slots: GridSlot[] = [];
  alignedInstants(day, day.start, day.end, stepMinutes, (start, offsetMs) => {
    const msIntoDay = start + offsetMs - day.wallMidnight;
    slots.push({
      start,
      end: Math.min(start + stepMinutes * MINUTE_MS, day.end),
      time: formatLocalTime(Math.floor(msIntoDay / MINUTE_MS)),
      offsetMinutes: offsetMs / MINUTE_MS,
    });
  });
  return slots;
}

/** Whether the local clock shows a whole multiple of `stepMinutes` (and zero seconds). */
export function isOnGrid(instant: Instant, timeZone: string, stepMinutes = GRID_MINUTES): boolean {
  if (!Number.isSafeInteger(instant)) return false;
  const wall = instant + offsetAt(instant, timeZone);
  return (((wall % DAY_MS) + DAY_MS) % DAY_MS) % (stepMinutes * MINUTE_MS) === 0;
}

/**
 * The same wall-clock time `days` calendar days later (or earlier): a 09:00 appointment moved
 * by a week stays at 09:00 across a daylight-saving change.
 */
export function shiftLocalDays(instant: Instant, days: number, timeZone: string): Instant {
  const local = utcToZoned(instant, timeZone);
  return resolveWall(zoneDay(addDays(local.date, days), timeZone), local.msIntoDay);
}

/** The instant at which the local clock reads `wall` (a wall time as if UTC, ms). */
export function resolveWallTime(
  wall: number,
  timeZone: string,
  disambiguation: Disambiguation = 'compatible',
): Instant {
  const localDay = Math.floor(wall / DAY_MS);
  return resolveWall(zoneDayAt(localDay, timeZone), wall - localDay * DAY_MS, disambiguation);
}

/** ISO 8601 with `Z`, for the wire and for logs. */
export function instantToIso(instant: Instant): string {
  return new Date(instant).toISOString();
}

/** Reads an ISO 8601 timestamp with an explicit offset or `Z`; null if it is not one. */
export function instantFromIso(iso: string): Instant | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(iso)) {
    return null;
  }
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}
