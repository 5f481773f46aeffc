/**
 * The clinic's hours, providers' working time and closures, turned into instant intervals.
 *
 * Design: a `Calendar` is built once per call of computeConflicts or findFreeSlots and memoises
 * per date (and per provider and date), so a 90-day search converts each date's hours once.
 * Closures become instant intervals at construction, grouped by scope (clinic, chair,
 * provider) and sorted, with a running maximum of ends so that the closures overlapping an
 * appointment are found by binary search even when closures overlap one another.
 */
import { mergeIntervals, subtractIntervals } from './intervals';
import type { Closure, ProviderDay, SchedulingSetup, TimeRange } from './model';
import {
  addDays,
  firstInstantAtOrAfter,
  parseLocalTime,
  wallRangeToIntervals,
  zoneDay,
} from './time';
import type { Instant, Interval, ZoneDay } from './time';

export interface ClosureInterval extends Interval {
  closureId: string;
}

export interface Calendar {
  readonly timeZone: string;
  day(date: string): ZoneDay;
  /** When the clinic is open on the date, merged. */
  openOn(date: string): readonly Interval[];
  /**
   * When the provider works on the date (hours minus breaks), merged; null when the provider
   * has no schedule and so follows the clinic's hours.
   */
  workingOn(providerId: string, date: string): readonly Interval[] | null;
  /** Closures of the whole clinic that overlap [from, to), by start then id. */
  clinicClosures(from: Instant, to: Instant): ClosureInterval[];
  chairClosures(chairId: string, from: Instant, to: Instant): ClosureInterval[];
  providerClosures(providerId: string, from: Instant, to: Instant): ClosureInterval[];
}

/**
 * Closures sorted by start, with the running maximum of their ends: closures may overlap one
 * another, so the running maximum is what a binary search for "ends after `from`" can use.
 */
class ClosureList {
  private readonly items: ClosureInterval[] = [];
  private maxEnd: number[] = [];

  add(c: ClosureInterval): void {
    this.items.push(c);
  }

  seal(): void {
    this.items.sort(byStartThenId);
    let max = -Infinity;
    this.maxEnd = this.items.map((c) => (max = Math.max(max, c.end)));
  }

  overlapping(from: Instant, to: Instant): ClosureInterval[] {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.maxEnd[mid]! <= from) lo = mid + 1;
      else hi = mid;
    }
    const out: ClosureInterval[] = [];
    for (let k = lo; k < this.items.length && this.items[k]!.start < to; k++) {
      if (this.items[k]!.end > from) out.push(this.items[k]!);
    }
    return out;
  }
}

const NO_CLOSURES = new ClosureList();

type ParsedRanges = Map<TimeRange, readonly [number, number]>;

function rangesToIntervals(
  day: ZoneDay,
  ranges: readonly TimeRange[],
  parsed: ParsedRanges,
): Interval[] {
  const out: Interval[] = [];
  for (const r of ranges) {
    let minutes = parsed.get(r);
    if (!minutes) {
      minutes = [parseLocalTime(r.start), parseLocalTime(r.end, true)];
      parsed.set(r, minutes);
    }
    out.push(...wallRangeToIntervals(day, minutes[0], minutes[1]));
  }
  return mergeIntervals(out);
}

function closureInterval(c: Closure, timeZone: string): ClosureInterval {
  return {
    closureId: c.id,
    start: firstInstantAtOrAfter(c.startDate, c.startTime ?? '00:00', timeZone),
    end: firstInstantAtOrAfter(c.endDate, c.endTime ?? '24:00', timeZone),
  };
}

function byStartThenId(a: ClosureInterval, b: ClosureInterval): number {
  return a.start - b.start || (a.closureId < b.closureId ? -1 : a.closureId > b.closureId ? 1 : 0);
}

export function createCalendar(setup: SchedulingSetup): Calendar {
  const { timeZone } = setup;
  const { weekly } = setup.openingHours;
  // Within one calendar each range is parsed once, however many dates use it.
  const parsed: ParsedRanges = new Map();
  const open = new Map<string, Interval[]>();
  const working = new Map<string, Map<string, Interval[] | null>>();
  const schedules = new Map(setup.providerSchedules.map((s) => [s.providerId, s]));
  const openingDates = new Map((setup.openingHours.dates ?? []).map((d) => [d.date, d]));
  const scheduleDates = new Map(
    setup.providerSchedules.map((s) => [
      s.providerId,
      new Map((s.dates ?? []).map((d) => [d.date, d])),
    ]),
  );

  const clinicClosures = new ClosureList();
  const byChair = new Map<string, ClosureList>();
  const byProvider = new Map<string, ClosureList>();
  const listFor = (map: Map<string, ClosureList>, key: string) => {
    let list = map.get(key);
    if (!list) map.set(key, (list = new ClosureList()));
    return list;
  };
  for (const c of setup.closures) {
    const interval = closureInterval(c, timeZone);
    if (interval.end <= interval.start) continue;
    if (c.chairId) listFor(byChair, c.chairId).add(interval);
    else if (c.providerId) listFor(byProvider, c.providerId).add(interval);
    else clinicClosures.add(interval);
  }
  clinicClosures.seal();
  for (const list of byChair.values()) list.seal();
  for (const list of byProvider.values()) list.seal();

  const day = (date: string) => zoneDay(date, timeZone);

  return {
    timeZone,
    day,
    openOn(date) {
      let cached = open.get(date);
      if (!cached) {
        const d = day(date);
        const special = openingDates.get(date);
        cached = rangesToIntervals(d, special ? special.hours : (weekly[d.weekday] ?? []), parsed);
        open.set(date, cached);
      }
      return cached;
    },
    workingOn(providerId, date) {
      let byDate = working.get(providerId);
      if (!byDate) working.set(providerId, (byDate = new Map()));
      const known = byDate.get(date);
      if (known !== undefined) return known;
      const schedule = schedules.get(providerId);
      let result: Interval[] | null = null;
      if (schedule) {
        const d = day(date);
        const entry: ProviderDay | undefined =
          scheduleDates.get(providerId)?.get(date) ?? schedule.weekly[d.weekday];
        result = entry
          ? subtractIntervals(
              rangesToIntervals(d, entry.hours, parsed),
              rangesToIntervals(d, entry.breaks ?? [], parsed),
            )
          : [];
      }
      byDate.set(date, result);
      return result;
    },
    clinicClosures: (from, to) => clinicClosures.overlapping(from, to),
    chairClosures: (chairId, from, to) =>
      (byChair.get(chairId) ?? NO_CLOSURES).overlapping(from, to),
    providerClosures: (providerId, from, to) =>
      (byProvider.get(providerId) ?? NO_CLOSURES).overlapping(from, to),
  };
}

/**
 * Local dates from `first` to `last` inclusive. Bounded at 400 so that a corrupt appointment
 * spanning years cannot stall a replica; real appointments last at most 12 hours.
 */
export function datesFromTo(first: string, last: string): string[] {
  const out: string[] = [];
  for (let d = first; d <= last && out.length < 400; d = addDays(d, 1)) out.push(d);
  return out;
}
