/**
 * Where things go on the book: instants to pixels and back, snapping to the grid on the clinic's
 * wall clock, and side-by-side lanes for overlapping cards.
 *
 * Positions follow real time, not wall time: a 23- or 25-hour day is drawn as long as it is,
 * and the labels come from `gridSlots`, which shows the repeated autumn hour twice.
 */
import type { Calendar, Instant, Interval } from '../../../shared/scheduling';
import { formatLocalTime, utcToZoned, zonedToUtc, dayBounds } from '../../../shared/scheduling';
import type { GridStep } from './store';

export const MINUTE = 60_000;

/** Pixels per minute at each displayed step: finer steps get taller rows. */
export const PX_PER_MINUTE: Record<GridStep, number> = { 5: 2.4, 10: 1.8, 15: 1.4 };

export interface Window {
  start: Instant;
  end: Instant;
}

/** The instant on the grid nearest `instant` (or below/above it), on the clinic's clock. */
export function snap(
  instant: Instant,
  stepMinutes: number,
  timeZone: string,
  mode: 'round' | 'floor' | 'ceil' = 'round',
): Instant {
  const z = utcToZoned(instant, timeZone);
  const minutes = z.msIntoDay / MINUTE;
  const snapped = Math[mode](minutes / stepMinutes) * stepMinutes;
  if (snapped >= 24 * 60) return dayBounds(z.date, timeZone).end;
  return zonedToUtc(z.date, formatLocalTime(Math.max(0, snapped)), timeZone);
}

/**
 * The part of the date the book shows: the opening hours widened to whole hours, and to any
 * appointment outside them; 08:00-18:00 on a closed day with nothing booked.
 */
export function dayWindow(
  date: string,
  calendar: Calendar,
  appointments: readonly Interval[],
  timeZone: string,
): Window {
  const bounds = dayBounds(date, timeZone);
  const open = calendar.openOn(date);
  let start = open[0]?.start ?? zonedToUtc(date, '08:00', timeZone);
  let end = open[open.length - 1]?.end ?? zonedToUtc(date, '18:00', timeZone);
  for (const a of appointments) {
    if (a.end <= bounds.start || a.start >= bounds.end) continue;
    start = Math.min(start, Math.max(a.start, bounds.start));
    end = Math.max(end, Math.min(a.end, bounds.end));
  }
  return {
    start: Math.max(bounds.start, snap(start, 60, timeZone, 'floor')),
    end: Math.min(bounds.end, snap(end, 60, timeZone, 'ceil')),
  };
}

export function yOf(instant: Instant, window: Window, ppm: number): number {
  return ((instant - window.start) / MINUTE) * ppm;
}

export function instantAtY(y: number, window: Window, ppm: number): Instant {
  return window.start + (y / ppm) * MINUTE;
}

/** The parts of `window` not covered by `covered`: shaded as closed or not working. */
export function gaps(window: Window, covered: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let t = window.start;
  for (const c of [...covered].sort((a, b) => a.start - b.start)) {
    if (c.end <= t) continue;
    if (c.start >= window.end) break;
    if (c.start > t) out.push({ start: t, end: Math.min(c.start, window.end) });
    t = Math.max(t, c.end);
  }
  if (t < window.end) out.push({ start: t, end: window.end });
  return out;
}

export interface Lane {
  lane: number;
  lanes: number;
}

/** Side-by-side lanes for overlapping intervals (double bookings show next to each other). */
export function laneLayout<T extends Interval & { id: string }>(
  items: readonly T[],
): Map<string, Lane> {
  const sorted = [...items].sort((a, b) => a.start - b.start || a.end - b.end);
  const out = new Map<string, Lane>();
  let group: Array<{ id: string; lane: number }> = [];
  let groupEnd = -Infinity;
  let laneEnds: number[] = [];
  const flush = () => {
    const lanes = Math.max(1, laneEnds.length);
    for (const g of group) out.set(g.id, { lane: g.lane, lanes });
    group = [];
    laneEnds = [];
  };
  for (const item of sorted) {
    if (item.start >= groupEnd) {
      flush();
      groupEnd = -Infinity;
    }
    let lane = laneEnds.findIndex((end) => end <= item.start);
    if (lane < 0) {
      lane = laneEnds.length;
      laneEnds.push(item.end);
    } else laneEnds[lane] = item.end;
    group.push({ id: item.id, lane });
    groupEnd = Math.max(groupEnd, item.end);
  }
  flush();
  return out;
}
