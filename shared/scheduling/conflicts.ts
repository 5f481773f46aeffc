/**
 * Conflicts in the appointment book, computed from the merged data alone.
 *
 * Design:
 * - A pure function of (set-up, appointments, acknowledgements): every replica that holds the
 *   same data reports the same conflicts, so double bookings made on two offline workstations
 *   show up on both once they sync. Nothing depends on input order, the host's locale or the
 *   current time; output is sorted by start, end, then id (code-unit order).
 * - Clashes are pairwise: one conflict per pair of appointments and kind (`chair`, `provider`,
 *   `patient`), covering their overlap. A third appointment joining the clash adds its own pairs
 *   and leaves existing ids, and the acceptances that name them, untouched.
 * - Ids are `kind:appointmentId[:appointmentId]` with the appointment ids sorted, and
 *   `closure:appointmentId:closureId` for closures: stable while the same appointments clash,
 *   whatever their exact times, so an acceptance survives a small move. If the clinic wants a
 *   fresh reason after any move, the service retires the acknowledgements naming the moved
 *   appointment.
 * - Intervals are half-open: an appointment ending at 10:00 and one starting at 10:00 do not
 *   clash. Cancelled and no-show appointments are ignored entirely.
 * - `outside_opening_hours`, `outside_working_hours` and `closure` report the span from the first
 *   to the last offending instant of the appointment. A provider without a schedule follows the
 *   clinic's hours, so only `outside_opening_hours` applies to them.
 * - A reference to a chair, provider or type missing from the set-up (deleted on another
 *   replica, say) is reported as `unknown_resource` rather than thrown: the conflict inbox must
 *   keep working on every replica.
 * - Clashes are found in one sweep over the appointments in start order (sorted only when the
 *   caller's list is not already, as the book's queries return it), keeping per chair, provider
 *   and patient the appointments still running: O(n log n + conflicts), not all pairs. The order
 *   among equal starts does not matter: two appointments starting together overlap from that
 *   start to the earlier end whichever comes first.
 * - Per appointment, the common case (inside opening and working hours, no closure nearby) is
 *   decided without building intervals: the book of a week is thousands of appointments.
 * - Time-zone rules come from each host's Intl data; replicas on different tz database versions
 *   could disagree about a future date whose rules changed in between.
 */
import { AppError } from '../errors';
import { createCalendar, datesFromTo } from './availability';
import type { Calendar } from './availability';
import { mergeIntervals, subtractIntervals } from './intervals';
import { holdsTime } from './model';
import type { Appointment, Provider, SchedulingSetup } from './model';
import { localDateReader } from './time';
import type { Instant, Interval } from './time';

export const CONFLICT_KINDS = [
  'chair',
  'provider',
  'patient',
  'outside_opening_hours',
  'outside_working_hours',
  'closure',
  'provider_not_qualified',
  'unknown_resource',
] as const;
export type ConflictKind = (typeof CONFLICT_KINDS)[number];

export interface Conflict {
  /** Stable across replicas and recomputation; what an acknowledgement names. */
  id: string;
  kind: ConflictKind;
  /** Sorted; two for clashes, one otherwise. */
  appointmentIds: string[];
  /** The offending span: the overlap for clashes, the part outside hours or inside a closure. */
  start: Instant;
  end: Instant;
  /**
   * What the conflict is about: the chair, provider or patient id for clashes, the provider for
   * `outside_working_hours` and `provider_not_qualified`, the closure for `closure`; null for
   * `outside_opening_hours` and `unknown_resource`.
   */
  resourceId: string | null;
  /** An acknowledgement names this id: an accepted double booking, shown but not open. */
  acknowledged: boolean;
}

export interface ConflictInput {
  setup: SchedulingSetup;
  /** Every appointment overlapping the period of interest; ids must be unique. */
  appointments: readonly Appointment[];
  /** Accepted conflicts; only `conflictId` is read, so full acknowledgement rows will do. */
  acknowledgements?: readonly { conflictId: string }[];
}

export function conflictId(kind: ConflictKind, appointmentIds: readonly string[], extra?: string) {
  const ids = sortedIds(appointmentIds);
  return extra === undefined ? `${kind}:${ids.join(':')}` : `${kind}:${ids.join(':')}:${extra}`;
}

function sortedIds(ids: readonly string[]): string[] {
  if (ids.length === 2) {
    const [a, b] = ids as [string, string];
    return a <= b ? [a, b] : [b, a];
  }
  return ids.length < 2 ? ids.slice() : [...ids].sort(compareIds);
}

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareConflicts(a: Conflict, b: Conflict): number {
  return a.start - b.start || a.end - b.end || compareIds(a.id, b.id);
}

export function computeConflicts(input: ConflictInput): Conflict[] {
  const { setup, appointments } = input;
  const accepted = new Set((input.acknowledgements ?? []).map((a) => a.conflictId));
  const seen = new Set<string>();
  for (const a of appointments) {
    const size = seen.size;
    seen.add(a.id);
    if (seen.size === size) {
      // Thrown whatever the order, so replicas still agree; ids are primary keys upstream.
      throw new AppError('VALIDATION', 'The same appointment is listed twice.', [
        { path: 'appointments', message: 'Appointment ids must be unique' },
      ]);
    }
  }
  const out: Conflict[] = [];
  const emit: Emit = (kind, ids, span, resourceId, extra) => {
    const sorted = sortedIds(ids);
    const id =
      extra === undefined ? `${kind}:${sorted.join(':')}` : `${kind}:${sorted.join(':')}:${extra}`;
    out.push({
      id,
      kind,
      appointmentIds: sorted,
      start: span.start,
      end: span.end,
      resourceId,
      acknowledged: accepted.has(id),
    });
  };

  const calendar = createCalendar(setup);
  const dateOf = localDateReader(setup.timeZone);
  const knownChairs = new Set(setup.chairs.map((c) => c.id));
  const knownProviders = new Map(setup.providers.map((p) => [p.id, p]));
  const types = new Map(setup.appointmentTypes.map((t) => [t.id, t]));
  const closures = setup.closures.length > 0;
  // One entry per chair, provider and patient met: what each lookup by id is needed for.
  const chairs = new Map<string, ChairState>();
  const providers = new Map<string, ProviderState>();
  const patients = new Map<string, Appointment | Appointment[]>();
  let openDate = '';
  let open: readonly Interval[] = [];

  for (const a of inStartOrder(appointments.filter((x) => holdsTime(x.status)))) {
    if (a.end <= a.start) continue;
    let chair = chairs.get(a.chairId);
    if (!chair) chairs.set(a.chairId, (chair = { known: knownChairs.has(a.chairId), running: [] }));
    let provider = providers.get(a.providerId);
    if (!provider) {
      provider = {
        provider: knownProviders.get(a.providerId),
        running: [],
        date: '',
        working: null,
      };
      providers.set(a.providerId, provider);
    }
    clashesOf(a, 'chair', a.chairId, chair.running, emit);
    clashesOf(a, 'provider', a.providerId, provider.running, emit);
    // Most patients have one appointment in the period: no list until a second one overlaps.
    const before = patients.get(a.patientId);
    if (before === undefined || (!Array.isArray(before) && before.end <= a.start)) {
      patients.set(a.patientId, a);
    } else {
      const running = Array.isArray(before) ? before : [before];
      clashesOf(a, 'patient', a.patientId, running, emit);
      if (running !== before) patients.set(a.patientId, running);
    }

    // An appointment is an Interval itself: no span object per appointment.
    const span: Interval = a;
    const type = types.get(a.typeId);
    if (!chair.known || !provider.provider || !type) {
      emit('unknown_resource', [a.id], span, null);
    } else if (!type.allowedProviderKinds.includes(provider.provider.kind)) {
      emit('provider_not_qualified', [a.id], span, a.providerId);
    }
    const first = dateOf(a.start);
    const last = dateOf(a.end - 1);
    if (first === last) {
      if (first !== openDate) {
        open = calendar.openOn(first);
        openDate = first;
      }
      const outsideOpening = uncovered(span, open);
      if (outsideOpening) emit('outside_opening_hours', [a.id], outsideOpening, null);
      if (provider.provider) {
        if (provider.date !== first) {
          provider.working = calendar.workingOn(a.providerId, first);
          provider.date = first;
        }
        const outsideWorking = provider.working && uncovered(span, provider.working);
        if (outsideWorking) emit('outside_working_hours', [a.id], outsideWorking, a.providerId);
      }
    } else {
      const dates = datesFromTo(first, last);
      const outsideOpening = uncovered(
        span,
        coverOf(dates, (d) => calendar.openOn(d)),
      );
      if (outsideOpening) emit('outside_opening_hours', [a.id], outsideOpening, null);
      if (provider.provider) {
        const working = coverOf(dates, (d) => calendar.workingOn(a.providerId, d));
        const outsideWorking = working && uncovered(span, working);
        if (outsideWorking) emit('outside_working_hours', [a.id], outsideWorking, a.providerId);
      }
    }
    if (closures) closureClashes(a, calendar, emit);
  }
  return out.sort(compareConflicts);
}

type Emit = (
  kind: ConflictKind,
  ids: readonly string[],
  span: Interval,
  resourceId: string | null,
  extra?: string,
) => void;

interface ChairState {
  known: boolean;
  /** Its appointments not yet over when the last one seen started. */
  running: Appointment[];
}

interface ProviderState {
  provider: Provider | undefined;
  running: Appointment[];
  /** Working time on `date`, the provider's last date seen (appointments come in start order). */
  date: string;
  working: readonly Interval[] | null;
}

/**
 * Emits `a`'s clashes with the appointments of the same chair, provider or patient still
 * running when it starts (every one of them started no later), then adds it to them.
 */
function clashesOf(
  a: Appointment,
  kind: 'chair' | 'provider' | 'patient',
  key: string,
  running: Appointment[],
  emit: Emit,
): void {
  // Back to back, the usual case: the one before is over, and `a` takes its place.
  if (running.length === 1 && running[0]!.end <= a.start) {
    running[0] = a;
    return;
  }
  let kept = 0;
  for (const r of running) if (r.end > a.start) running[kept++] = r;
  running.length = kept;
  for (const r of running) {
    emit(kind, [r.id, a.id], { start: a.start, end: Math.min(r.end, a.end) }, key);
  }
  running.push(a);
}

/** The list itself when already ordered by start, else a sorted copy. */
function inStartOrder(appointments: readonly Appointment[]): readonly Appointment[] {
  for (let k = 1; k < appointments.length; k++) {
    if (appointments[k - 1]!.start > appointments[k]!.start) {
      return appointments.slice().sort((x, y) => x.start - y.start);
    }
  }
  return appointments;
}

/** The merged union of each date's intervals; null if any date has none defined (null). */
function coverOf(
  dates: readonly string[],
  of: (date: string) => readonly Interval[] | null,
): readonly Interval[] | null {
  if (dates.length === 1) return of(dates[0]!);
  const all: Interval[] = [];
  for (const d of dates) {
    const list = of(d);
    if (list === null) return null;
    all.push(...list);
  }
  return mergeIntervals(all);
}

/** The span from the first to the last instant of `span` outside a merged `cover`, or null. */
function uncovered(span: Interval, cover: readonly Interval[] | null): Interval | null {
  // Within one interval of the cover (the usual case) nothing is left.
  if (cover) for (const c of cover) if (c.start <= span.start && span.end <= c.end) return null;
  const rest = subtractIntervals([span], cover ?? []);
  if (rest.length === 0) return null;
  return { start: rest[0]!.start, end: rest[rest.length - 1]!.end };
}

function closureClashes(a: Appointment, calendar: Calendar, emit: Emit): void {
  for (const list of [
    calendar.clinicClosures(a.start, a.end),
    calendar.chairClosures(a.chairId, a.start, a.end),
    calendar.providerClosures(a.providerId, a.start, a.end),
  ]) {
    for (const c of list) {
      const start = Math.max(a.start, c.start);
      const end = Math.min(a.end, c.end);
      if (start < end) emit('closure', [a.id], { start, end }, c.closureId, c.closureId);
    }
  }
}

/** Conflicts by appointment id, for marking appointment cards; each conflict under each id. */
export function conflictsByAppointment(conflicts: readonly Conflict[]): Map<string, Conflict[]> {
  const map = new Map<string, Conflict[]>();
  for (const c of conflicts) {
    for (const id of c.appointmentIds) {
      const list = map.get(id);
      if (list) list.push(c);
      else map.set(id, [c]);
    }
  }
  return map;
}

/** Conflicts nobody has accepted: what the conflict inbox lists. */
export function openConflicts(conflicts: readonly Conflict[]): Conflict[] {
  return conflicts.filter((c) => !c.acknowledged);
}
