/**
 * Builders for scheduling tests, a random-schedule generator, and a brute-force reference of
 * the conflict rules that shares no code with shared/scheduling: it reads the wall clock in
 * 5-minute steps straight from Intl and compares every pair of appointments. The steps are
 * exact because every boundary in these schedules (appointments, hours, closures) lies on the
 * local 5-minute grid: the test zones' offsets are whole multiples of 15 minutes.
 */
import fc from 'fast-check';
import type {
  Appointment,
  AppointmentStatus,
  AppointmentType,
  Chair,
  Closure,
  Conflict,
  ConflictKind,
  OpeningHours,
  Provider,
  ProviderKind,
  ProviderSchedule,
  SchedulingSetup,
  TimeRange,
  Weekday,
} from '../../../shared/scheduling';

export const MIN = 60_000;
const STEP = 5 * MIN;
export const HOUR = 60 * MIN;

/** A fixed, valid v4-shaped UUID for test record `n`. */
export function uid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export const CHAIR_1 = uid(0x101);
export const CHAIR_2 = uid(0x102);
export const DENTIST = uid(0x201);
export const HYGIENIST = uid(0x202);
export const CHECK_UP = uid(0x301);
export const SCALE_POLISH = uid(0x302);
export const PATIENT_A = uid(0x401);
export const PATIENT_B = uid(0x402);

const WEEKDAY_KEYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export function weekdays(ranges: TimeRange[], days: Weekday[] = WEEKDAY_KEYS.slice(0, 5)) {
  return Object.fromEntries(days.map((d) => [d, ranges])) as OpeningHours['weekly'];
}

/** Two chairs, a dentist and a hygienist, open 08:00-18:00 on weekdays, in London. */
export function clinicSetup(overrides: Partial<SchedulingSetup> = {}): SchedulingSetup {
  return {
    timeZone: 'Europe/London',
    chairs: [
      { id: CHAIR_1, name: 'Chair 1' },
      { id: CHAIR_2, name: 'Chair 2' },
    ],
    providers: [
      { id: DENTIST, name: 'Dr Dent', kind: 'dentist', colour: '#1E88E5' },
      { id: HYGIENIST, name: 'Hy Gene', kind: 'hygienist', colour: '#43A047' },
    ],
    appointmentTypes: [
      {
        id: CHECK_UP,
        name: 'Check-up',
        durationUnits: 6,
        colour: '#FB8C00',
        allowedProviderKinds: ['dentist'],
      },
      {
        id: SCALE_POLISH,
        name: 'Scale and polish',
        durationUnits: 9,
        colour: '#8E24AA',
        allowedProviderKinds: ['dentist', 'hygienist'],
      },
    ],
    openingHours: { weekly: weekdays([{ start: '08:00', end: '18:00' }]) },
    providerSchedules: [],
    closures: [],
    ...overrides,
  };
}

let nextAppointment = 0x9000;

export function appointment(over: Partial<Appointment> & Pick<Appointment, 'start'>): Appointment {
  const start = over.start;
  return {
    id: uid(nextAppointment++),
    patientId: PATIENT_A,
    chairId: CHAIR_1,
    providerId: DENTIST,
    typeId: CHECK_UP,
    end: start + 30 * MIN,
    status: 'booked',
    ...over,
  };
}

/** A small deterministic PRNG for shuffles driven by a fast-check seed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Random schedules

export const ZONES = [
  'Europe/London',
  'America/New_York',
  'UTC',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
] as const;

/** Days with and without offset changes in the zones above. */
export const DAYS = [
  '2026-03-08',
  '2026-03-29',
  '2026-04-05',
  '2026-06-15',
  '2026-10-04',
  '2026-10-25',
  '2026-11-01',
] as const;

const STATUSES: AppointmentStatus[] = [
  'booked',
  'confirmed',
  'arrived',
  'in_chair',
  'completed',
  'cancelled',
  'no_show',
];
const KINDS: ProviderKind[] = ['dentist', 'hygienist', 'other'];

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** A range on the 5-minute grid anywhere in the day, including the small hours. */
const timeRange = (minStart = 0, maxEnd = 288): fc.Arbitrary<TimeRange> =>
  fc
    .tuple(
      fc.oneof(
        fc.integer({ min: minStart, max: maxEnd - 1 }),
        // Often in the small hours, where the offset changes.
        fc.integer({ min: minStart, max: Math.max(minStart, 48) }),
      ),
      fc.integer({ min: 1, max: 120 }),
    )
    .map(([a, len]) => ({ start: hhmm(a * 5), end: hhmm(Math.min(maxEnd, a + len) * 5) }));

const dayRanges = (minStart?: number, maxEnd?: number) =>
  fc.array(timeRange(minStart, maxEnd), { maxLength: 3 });

function weeklyArb<T>(day: fc.Arbitrary<T>) {
  return fc.record(
    Object.fromEntries(WEEKDAY_KEYS.map((d) => [d, day])) as Record<Weekday, fc.Arbitrary<T>>,
    { requiredKeys: [] },
  );
}

export interface ScheduleOptions {
  /** Keep hours between 06:00 and 21:00 so no slot could span midnight. */
  daytimeOnly?: boolean;
  maxAppointments?: number;
  /** Let appointments name chairs, providers or types that are not set up. */
  unknownRefs?: boolean;
}

export interface RandomSchedule {
  setup: SchedulingSetup;
  appointments: Appointment[];
  baseDate: string;
}

/** An index into a list, or (rarely, when allowed) null for a record that is not set up. */
const ref = (unknown: boolean) =>
  unknown ? fc.option(fc.nat(2), { freq: 15, nil: null }) : fc.nat(2);

export function scheduleArb(options: ScheduleOptions = {}): fc.Arbitrary<RandomSchedule> {
  const { daytimeOnly = false, maxAppointments = 25, unknownRefs = true } = options;
  const lo = daytimeOnly ? 72 : 0;
  const hi = daytimeOnly ? 252 : 288;
  return fc
    .record({
      timeZone: fc.constantFrom(...ZONES),
      baseDate: fc.constantFrom(...DAYS),
      chairs: fc.integer({ min: 1, max: 3 }),
      providerKinds: fc.array(fc.constantFrom(...KINDS), { minLength: 1, maxLength: 3 }),
      typeKinds: fc.array(fc.uniqueArray(fc.constantFrom(...KINDS), { minLength: 1 }), {
        minLength: 1,
        maxLength: 3,
      }),
      durations: fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 3, maxLength: 3 }),
      weekly: weeklyArb(dayRanges(lo, hi)),
      openingOverride: fc.option(dayRanges(lo, hi), { nil: undefined }),
      schedules: fc.array(
        fc.option(
          fc.record({
            weekly: weeklyArb(fc.record({ hours: dayRanges(lo, hi), breaks: dayRanges(lo, hi) })),
            override: fc.option(
              fc.record({ hours: dayRanges(lo, hi), breaks: dayRanges(lo, hi) }),
              {
                nil: undefined,
              },
            ),
          }),
          { nil: undefined },
        ),
        { minLength: 3, maxLength: 3 },
      ),
      closures: fc.array(
        fc.record({
          startOffset: fc.integer({ min: -1, max: 1 }),
          days: fc.integer({ min: 0, max: 1 }),
          // Often in the small hours, where the offset changes.
          startTime: fc.option(
            fc.oneof(fc.integer({ min: 0, max: 287 }), fc.integer({ min: 0, max: 48 })),
            {
              nil: undefined,
            },
          ),
          endTime: fc.option(
            fc.oneof(fc.integer({ min: 1, max: 288 }), fc.integer({ min: 1, max: 48 })),
            {
              nil: undefined,
            },
          ),
          scope: fc.constantFrom('clinic', 'chair', 'provider'),
          target: fc.nat(2),
        }),
        { maxLength: 3 },
      ),
      appointments: fc.array(
        fc.record({
          // 5-minute steps from 12 hours before the base date's UTC midnight, over 48 hours.
          // Half of them crowd into two hours of the base day's morning, so clashes are common.
          slot: fc.oneof(
            fc.integer({ min: 0, max: 48 * 12 }),
            fc.integer({ min: 12 * 12 + 8 * 12, max: 12 * 12 + 10 * 12 }),
          ),
          units: fc.integer({ min: 1, max: 36 }),
          chair: ref(unknownRefs),
          provider: ref(unknownRefs),
          type: ref(unknownRefs),
          patient: fc.nat(3),
          status: fc.constantFrom(...STATUSES),
        }),
        { maxLength: maxAppointments },
      ),
    })
    .map((r) => {
      const chairs: Chair[] = Array.from({ length: r.chairs }, (_, i) => ({
        id: uid(0x1000 + i),
        name: `Chair ${i + 1}`,
      }));
      const providers: Provider[] = r.providerKinds.map((kind, i) => ({
        id: uid(0x2000 + i),
        name: `Provider ${i + 1}`,
        kind,
        colour: '#123456',
      }));
      const types: AppointmentType[] = r.typeKinds.map((kinds, i) => ({
        id: uid(0x3000 + i),
        name: `Type ${i + 1}`,
        durationUnits: r.durations[i]!,
        colour: '#654321',
        allowedProviderKinds: kinds,
      }));
      const providerSchedules: ProviderSchedule[] = [];
      r.schedules.forEach((s, i) => {
        if (!s || i >= providers.length) return;
        providerSchedules.push({
          providerId: providers[i]!.id,
          weekly: s.weekly,
          ...(s.override ? { dates: [{ date: r.baseDate, ...s.override }] } : {}),
        });
      });
      const closures: Closure[] = r.closures.map((c, i) => {
        const startDate = addIsoDays(r.baseDate, c.startOffset);
        const endDate = addIsoDays(startDate, c.days);
        const closure: Closure = {
          id: uid(0x5000 + i),
          startDate,
          endDate,
          chairId: c.scope === 'chair' ? (chairs[c.target % chairs.length]!.id ?? null) : null,
          providerId:
            c.scope === 'provider' ? (providers[c.target % providers.length]!.id ?? null) : null,
          reason: null,
        };
        const sameDay = c.days === 0;
        const startTime = c.startTime;
        let endTime = c.endTime;
        if (sameDay && startTime !== undefined && endTime !== undefined && endTime <= startTime) {
          endTime = undefined;
        }
        if (startTime !== undefined) closure.startTime = hhmm(startTime * 5);
        if (endTime !== undefined) closure.endTime = hhmm(endTime * 5);
        return closure;
      });
      const base = Date.parse(`${r.baseDate}T00:00:00Z`) - 12 * HOUR;
      const pick = <T extends { id: string }>(list: T[], n: number | null) =>
        n === null ? uid(0xdead00) : list[n % list.length]!.id;
      const appointments: Appointment[] = r.appointments.map((a, i) => ({
        id: uid(0x10000 + i),
        patientId: uid(0x4000 + a.patient),
        chairId: pick(chairs, a.chair),
        providerId: pick(providers, a.provider),
        typeId: pick(types, a.type),
        start: base + a.slot * 5 * MIN,
        end: base + (a.slot + a.units) * 5 * MIN,
        status: a.status,
      }));
      const setup: SchedulingSetup = {
        timeZone: r.timeZone,
        chairs,
        providers,
        appointmentTypes: types,
        openingHours: {
          weekly: r.weekly,
          ...(r.openingOverride ? { dates: [{ date: r.baseDate, hours: r.openingOverride }] } : {}),
        },
        providerSchedules,
        closures,
      };
      return { setup, appointments, baseDate: r.baseDate };
    });
}

export function addIsoDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 24 * HOUR).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// Reference implementation

interface Wall {
  date: string;
  weekday: Weekday;
  minute: number;
}

const wallCache = new Map<string, Wall>();
const referenceFormatters = new Map<string, Intl.DateTimeFormat>();

/** The wall clock at an instant (to the minute), straight from Intl. */
export function referenceWall(instant: number, timeZone: string): Wall {
  const key = `${timeZone}|${instant}`;
  const hit = wallCache.get(key);
  if (hit) return hit;
  let f = referenceFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    referenceFormatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(instant).map((p) => [p.type, p.value]));
  const wall: Wall = {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: String(parts.weekday).toLowerCase().slice(0, 3) as Weekday,
    minute: (Number(parts.hour) % 24) * 60 + Number(parts.minute),
  };
  if (wallCache.size > 500_000) wallCache.clear();
  wallCache.set(key, wall);
  return wall;
}

const toMinutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
const inRanges = (minute: number, ranges: readonly TimeRange[]) =>
  ranges.some((r) => minute >= toMinutes(r.start) && minute < toMinutes(r.end));

function openAt(setup: SchedulingSetup, w: Wall): boolean {
  const special = setup.openingHours.dates?.find((d) => d.date === w.date);
  return inRanges(w.minute, special ? special.hours : (setup.openingHours.weekly[w.weekday] ?? []));
}

function workingAt(schedule: ProviderSchedule, w: Wall): boolean {
  const day = schedule.dates?.find((d) => d.date === w.date) ?? schedule.weekly[w.weekday];
  if (!day) return false;
  return inRanges(w.minute, day.hours) && !inRanges(w.minute, day.breaks ?? []);
}

/** First grid instant at which the wall clock reads (date, time) or later, by scanning. */
function referenceBoundary(date: string, time: string, timeZone: string): number {
  const target = `${date} ${time}`;
  let t = Date.parse(`${date}T00:00:00Z`) - 15 * HOUR;
  for (let i = 0; i < 60 * 12; i++, t += STEP) {
    const w = referenceWall(t, timeZone);
    if (`${w.date} ${hhmm(w.minute)}` >= target) return t;
  }
  throw new Error('boundary not found');
}

function referenceClosure(c: Closure, timeZone: string) {
  const start = referenceBoundary(c.startDate, c.startTime ?? '00:00', timeZone);
  const end =
    c.endTime === undefined || c.endTime === '24:00'
      ? referenceBoundary(addIsoDays(c.endDate, 1), '00:00', timeZone)
      : referenceBoundary(c.endDate, c.endTime, timeZone);
  return { start, end };
}

export function referenceConflicts(
  setup: SchedulingSetup,
  appointments: readonly Appointment[],
  acknowledged: ReadonlySet<string> = new Set(),
): Conflict[] {
  const out: Conflict[] = [];
  const add = (
    kind: ConflictKind,
    ids: string[],
    start: number,
    end: number,
    resourceId: string | null,
    extra?: string,
  ) => {
    const sorted = ids.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const id = [kind, ...sorted, ...(extra ? [extra] : [])].join(':');
    out.push({
      id,
      kind,
      appointmentIds: sorted,
      start,
      end,
      resourceId,
      acknowledged: acknowledged.has(id),
    });
  };
  const live = appointments.filter(
    (a) => a.status !== 'cancelled' && a.status !== 'no_show' && a.end > a.start,
  );
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) {
      const a = live[i]!;
      const b = live[j]!;
      const start = Math.max(a.start, b.start);
      const end = Math.min(a.end, b.end);
      if (start >= end) continue;
      if (a.chairId === b.chairId) add('chair', [a.id, b.id], start, end, a.chairId);
      if (a.providerId === b.providerId) add('provider', [a.id, b.id], start, end, a.providerId);
      if (a.patientId === b.patientId) add('patient', [a.id, b.id], start, end, a.patientId);
    }
  }
  const closures = setup.closures.map((c) => ({ c, ...referenceClosure(c, setup.timeZone) }));
  for (const a of live) {
    const provider = setup.providers.find((p) => p.id === a.providerId);
    const type = setup.appointmentTypes.find((t) => t.id === a.typeId);
    const chair = setup.chairs.find((c) => c.id === a.chairId);
    if (!chair || !provider || !type) add('unknown_resource', [a.id], a.start, a.end, null);
    else if (!type.allowedProviderKinds.includes(provider.kind)) {
      add('provider_not_qualified', [a.id], a.start, a.end, a.providerId);
    }
    const schedule = provider
      ? setup.providerSchedules.find((s) => s.providerId === provider.id)
      : undefined;
    let closedFrom = -1;
    let closedTo = -1;
    let offFrom = -1;
    let offTo = -1;
    for (let t = a.start; t < a.end; t += STEP) {
      const w = referenceWall(t, setup.timeZone);
      if (!openAt(setup, w)) {
        if (closedFrom < 0) closedFrom = t;
        closedTo = t + STEP;
      }
      if (schedule && !workingAt(schedule, w)) {
        if (offFrom < 0) offFrom = t;
        offTo = t + STEP;
      }
    }
    if (closedFrom >= 0) add('outside_opening_hours', [a.id], closedFrom, closedTo, null);
    if (offFrom >= 0) add('outside_working_hours', [a.id], offFrom, offTo, a.providerId);
    for (const { c, start, end } of closures) {
      const applies =
        (!c.chairId && !c.providerId) || c.chairId === a.chairId || c.providerId === a.providerId;
      const s = Math.max(start, a.start);
      const e = Math.min(end, a.end);
      if (applies && s < e) add('closure', [a.id], s, e, c.id, c.id);
    }
  }
  return out.sort(
    (x, y) => x.start - y.start || x.end - y.end || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
  );
}
