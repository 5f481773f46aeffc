/**
 * Half-open instant intervals [start, end) and the set operations the schedule needs.
 *
 * Design: a "list" is sorted by start, disjoint and non-touching (merged). Every operation
 * takes lists and returns a list in linear time; `containsInstant` is a binary search.
 * `mergeIntervals` skips its sort when the input is already in order, the common case.
 */
import type { Instant, Interval } from './time';

/** Sorts and merges overlapping or touching intervals; drops empty ones. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  if (intervals.length === 0) return [];
  let ordered = true;
  for (let k = 1; k < intervals.length && ordered; k++) {
    ordered = intervals[k - 1]!.start <= intervals[k]!.start;
  }
  const sorted = ordered ? intervals : intervals.slice().sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    if (i.end <= i.start) continue;
    const last = out[out.length - 1];
    if (last && i.start <= last.end) {
      if (i.end > last.end) last.end = i.end;
    } else {
      out.push({ start: i.start, end: i.end });
    }
  }
  return out;
}

export function intersectIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    const start = Math.max(x.start, y.start);
    const end = Math.min(x.end, y.end);
    if (start < end) out.push({ start, end });
    if (x.end < y.end) i++;
    else j++;
  }
  return out;
}

export function subtractIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  if (b.length === 0) return a.slice();
  const out: Interval[] = [];
  let j = 0;
  for (const x of a) {
    let start = x.start;
    while (j < b.length && b[j]!.end <= start) j++;
    let k = j;
    while (k < b.length && b[k]!.start < x.end) {
      const y = b[k]!;
      if (y.start > start) out.push({ start, end: y.start });
      if (y.end > start) start = y.end;
      k++;
    }
    if (start < x.end) out.push({ start, end: x.end });
  }
  return out;
}

/** Whether a merged list contains the instant. */
export function containsInstant(list: readonly Interval[], t: Instant): boolean {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.end <= t) lo = mid + 1;
    else hi = mid;
  }
  const i = list[lo];
  return i !== undefined && i.start <= t;
}

/**
 * Start instants at which something `length` long fits inside a merged list, as a merged list
 * of half-open ranges of starts.
 */
export function startsThatFit(free: readonly Interval[], length: number): Interval[] {
  const out: Interval[] = [];
  for (const f of free) {
    if (f.end - f.start >= length) out.push({ start: f.start, end: f.end - length + 1 });
  }
  return out;
}
