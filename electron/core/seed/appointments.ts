/**
 * Seeds the appointment book: a clinic set-up (when none exists) and `count` appointments
 * reaching back from a few weeks ahead, plus recalls and a waitlist, for demos and benchmarks.
 *
 * Design:
 * - Every row is written the way the app writes it (HLC stamp, change_log entry) through the
 *   BulkRecorder, in large transactions of prepared statements: a million appointments take
 *   seconds, not the hours one-by-one commands would.
 * - The book is realistic and conflict-free by construction: each provider works one chair a day
 *   (rotating, so every chair is used), fills their working hours back to back with the types
 *   they may do, and a patient is seen at most once a day. The past is full; the coming weeks
 *   thin out, so the free-slot search has something to find.
 * - Deterministic for a seed value, except record ids (fresh UUIDv7s, so seeding twice adds).
 * - Days are generated backwards from the last future date until `count` is reached; with the
 *   default set-up a million appointments reach back about ten years.
 */
import { v5 as uuidv5 } from 'uuid';
import { todayIn } from '../../../shared/dates';
import { AppError } from '../../../shared/errors';
import { MINUTE_MS, addDays, createCalendar, localDateOf } from '../../../shared/scheduling';
import type {
  AppointmentStatus,
  AppointmentType,
  Instant,
  Provider,
  SchedulingSetup,
  TimeRange,
  Weekday,
} from '../../../shared/scheduling';
import { BulkRecorder } from '../db/changes';
import { readSetup, hoursRowId, settingsRowId } from '../services/scheduling-setup';
import { addMonths } from '../services/scheduling-recall';
import type { SqliteDatabase } from '../db/store';
import type { OpenStore } from '../store-session';
import { bulkIdFactory } from './ids';
import { Random, Weighted } from './random';

export const DEFAULT_APPOINTMENT_SEED = 'enamel-appointments-1';

export interface AppointmentSeedOptions {
  count: number;
  seedValue?: string;
  /** Weeks of bookings after today. */
  weeksAhead?: number;
  onProgress?: (done: number, total: number) => void;
  newId?: () => string;
}

export interface AppointmentSeedSummary {
  appointments: number;
  /** First and last local dates with appointments. */
  from: string | null;
  to: string | null;
  setupCreated: boolean;
  recalls: number;
  waitlist: number;
}

const SEED_NAMESPACE = '8f3b2c1d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

interface DefaultType {
  name: string;
  minutes: number;
  colour: string;
  /** How often each kind of provider does it; kinds absent may not. */
  weights: Partial<Record<Provider['kind'], number>>;
}

// Short visits dominate a busy NHS-style list; that is what fills ten years with a million.
const DEFAULT_TYPES: DefaultType[] = [
  { name: 'Examination', minutes: 15, colour: '#1E88E5', weights: { dentist: 30 } },
  { name: 'Check-up', minutes: 15, colour: '#43A047', weights: { dentist: 22 } },
  { name: 'Filling', minutes: 30, colour: '#FB8C00', weights: { dentist: 10 } },
  { name: 'Emergency', minutes: 10, colour: '#E53935', weights: { dentist: 10 } },
  { name: 'Root canal', minutes: 60, colour: '#8E24AA', weights: { dentist: 2 } },
  { name: 'Crown fit', minutes: 45, colour: '#6D4C41', weights: { dentist: 2 } },
  { name: 'Extraction', minutes: 30, colour: '#C62828', weights: { dentist: 3 } },
  {
    name: 'Scale and polish',
    minutes: 30,
    colour: '#00897B',
    weights: { hygienist: 10, dentist: 1 },
  },
  { name: 'Hygiene review', minutes: 15, colour: '#3949AB', weights: { hygienist: 12 } },
  { name: 'Fluoride varnish', minutes: 10, colour: '#7CB342', weights: { hygienist: 8 } },
];

const PROVIDERS: Array<{ name: string; kind: Provider['kind']; colour: string }> = [
  { name: 'Dr Amara Okafor', kind: 'dentist', colour: '#1565C0' },
  { name: 'Dr Lukas Brandt', kind: 'dentist', colour: '#2E7D32' },
  { name: 'Dr Priya Raman', kind: 'dentist', colour: '#AD1457' },
  { name: 'Dr Tomás Ortega', kind: 'dentist', colour: '#EF6C00' },
  { name: 'Dr Mei Lin', kind: 'dentist', colour: '#4527A0' },
  { name: 'Hana Novak', kind: 'hygienist', colour: '#00838F' },
  { name: 'Sven Larsen', kind: 'hygienist', colour: '#558B2F' },
  { name: 'Aisha Karimi', kind: 'hygienist', colour: '#6A1B9A' },
];

const WEEKDAY_HOURS: TimeRange[] = [{ start: '07:00', end: '20:00' }];
const SATURDAY_HOURS: TimeRange[] = [{ start: '08:00', end: '14:00' }];

const CANCEL_REASONS = ['Unwell', 'Work commitment', 'Childcare', 'Transport', 'Rebooked', 'Other'];
const NOTES = ['Nervous patient', 'Bring X-rays', 'Needs wheelchair access', 'Interpreter booked'];

/** The default clinic: 10 chairs, 5 dentists and 3 hygienists, 10 types, hours and closures. */
function writeDefaultSetup(
  recorder: BulkRecorder,
  clinicId: string,
  random: Random,
  today: string,
  at: string,
): void {
  const id = (name: string) => uuidv5(`${clinicId}:seed:${name}`, SEED_NAMESPACE);
  for (let c = 1; c <= 10; c++) {
    recorder.insert(
      'chair',
      { id: id(`chair-${c}`), name: `Chair ${c}`, position: c - 1, active: 1 },
      at,
    );
  }
  PROVIDERS.forEach((p, i) => {
    recorder.insert('provider', { id: id(`provider-${i}`), ...p, position: i, active: 1 }, at);
  });
  DEFAULT_TYPES.forEach((t, i) => {
    recorder.insert(
      'appointment_type',
      {
        id: id(`type-${i}`),
        name: t.name,
        duration_units: t.minutes / 5,
        colour: t.colour,
        allowed_provider_kinds: JSON.stringify(Object.keys(t.weights)),
        default_procedure_codes: null,
        position: i,
        active: 1,
      },
      at,
    );
  });
  const weekly: Array<[Weekday, TimeRange[]]> = [
    ['mon', WEEKDAY_HOURS],
    ['tue', WEEKDAY_HOURS],
    ['wed', WEEKDAY_HOURS],
    ['thu', WEEKDAY_HOURS],
    ['fri', WEEKDAY_HOURS],
    ['sat', SATURDAY_HOURS],
    ['sun', []],
  ];
  for (const [day, hours] of weekly) {
    recorder.insert(
      'opening_hours',
      { id: hoursRowId(clinicId, null, day), day, hours: JSON.stringify(hours) },
      at,
    );
  }
  PROVIDERS.forEach((p, i) => {
    const providerId = id(`provider-${i}`);
    // Staggered lunches, so the book never empties at once.
    const lunch = 12 * 60 + 30 * (i % 3);
    const lunchRange = { start: hhmm(lunch), end: hhmm(lunch + 30) };
    for (const [day, open] of weekly) {
      const hours: TimeRange[] = open;
      const breaks: TimeRange[] = day === 'sat' || open.length === 0 ? [] : [lunchRange];
      recorder.insert(
        'provider_hours',
        {
          id: hoursRowId(clinicId, providerId, day),
          provider_id: providerId,
          day,
          hours: JSON.stringify(hours),
          breaks: JSON.stringify(breaks),
        },
        at,
      );
    }
  });
  // Christmas and New Year's Day, ten years back and one ahead, and one chair out for repairs.
  const year = Number(today.slice(0, 4));
  for (let y = year - 11; y <= year + 1; y++) {
    recorder.insert(
      'closure',
      {
        id: id(`xmas-${y}`),
        start_date: `${y}-12-25`,
        end_date: `${y}-12-26`,
        reason: 'Christmas',
      },
      at,
    );
    recorder.insert(
      'closure',
      {
        id: id(`new-year-${y}`),
        start_date: `${y}-01-01`,
        end_date: `${y}-01-01`,
        reason: 'New Year',
      },
      at,
    );
  }
  const repairs = addDays(today, 20 + random.int(0, 10));
  recorder.insert(
    'closure',
    {
      id: id('repairs'),
      start_date: repairs,
      end_date: repairs,
      chair_id: id('chair-10'),
      reason: 'Chair maintenance',
    },
    at,
  );
  recorder.insert(
    'scheduling_settings',
    {
      id: settingsRowId(clinicId),
      late_cancellation: JSON.stringify({ kind: 'hours_before', hours: 24 }),
    },
    at,
  );
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

interface Planned {
  patient: string;
  chair: string;
  provider: string;
  type: string;
  start: Instant;
  end: Instant;
  status: AppointmentStatus;
  late: number | null;
  cancelReason: string | null;
  cancelledBy: string | null;
  notes: string | null;
}

/**
 * Adds `count` appointments (and a default set-up if the clinic has none) as `actorId`. Needs
 * patients in the store (`seedPatients` first). A failure rolls back the batch in progress.
 */
export async function seedAppointments(
  store: OpenStore,
  actorId: string,
  now: () => number,
  options: AppointmentSeedOptions,
): Promise<AppointmentSeedSummary> {
  const clinic = store.clinic;
  if (!clinic) throw new AppError('NOT_SET_UP', 'This workstation is not set up yet.');
  const sqlite = store.sqlite;
  const newId = options.newId ?? bulkIdFactory(now);
  const writer = store.writer(actorId, () => new Date(now()));
  const random = new Random(options.seedValue ?? DEFAULT_APPOINTMENT_SEED);
  const at = writer.now().toISOString();
  const today = todayIn(clinic.timeZone, new Date(now()));

  const chairsBefore = sqlite.prepare('SELECT count(*) FROM chair WHERE deleted = 0').pluck().get();
  const setupCreated = Number(chairsBefore) === 0;
  if (setupCreated) {
    await inTransaction(sqlite, async () => {
      const recorder = await BulkRecorder.create(sqlite, writer, newId);
      writeDefaultSetup(recorder, clinic.id, random, today, at);
      recorder.finish();
    });
  }
  const { setup } = await readSetup(store.db, clinic.timeZone);
  const patients = sqlite
    .prepare(`SELECT id FROM patient WHERE deleted = 0 AND status = 'active' ORDER BY id`)
    .pluck()
    .all() as string[];
  if (patients.length === 0 && options.count > 0) {
    throw new AppError('VALIDATION', 'Add patients before appointments (seed --patients).');
  }

  const plan = new DayPlanner(setup, random, patients, now());
  const summary: AppointmentSeedSummary = {
    appointments: 0,
    from: null,
    to: null,
    setupCreated,
    recalls: 0,
    waitlist: 0,
  };
  const writeBatch = (recorder: BulkRecorder, batch: Planned[]) => {
    for (const a of batch) {
      recorder.insert(
        'appointment',
        {
          id: newId(),
          patient_id: a.patient,
          chair_id: a.chair,
          provider_id: a.provider,
          type_id: a.type,
          starts_at: a.start,
          ends_at: a.end,
          status: a.status,
          notes: a.notes,
          cancel_reason: a.cancelReason,
          cancelled_by: a.cancelledBy,
          late_cancellation: a.late,
        },
        at,
      );
    }
  };

  const restore = prepareForLoad(sqlite);
  try {
    options.onProgress?.(0, options.count);
    const last = addDays(today, (options.weeksAhead ?? 8) * 7);
    let date = last;
    let walked = 0;
    // A generous bound on days walked back, in case the set-up has almost no open hours.
    while (summary.appointments < options.count && walked < 40_000) {
      await inTransaction(sqlite, async () => {
        const recorder = await BulkRecorder.create(sqlite, writer, newId);
        // Rebuilding the indexes once is far cheaper than keeping them up to date row by row.
        const indexes =
          options.count - summary.appointments >= REBUILD_INDEXES_FROM
            ? dropSecondaryIndexes(sqlite)
            : [];
        let inThisTransaction = 0;
        while (
          summary.appointments < options.count &&
          walked < 40_000 &&
          inThisTransaction < APPOINTMENTS_PER_TRANSACTION
        ) {
          const day = plan.day(date, today);
          const take = day.slice(0, options.count - summary.appointments);
          if (take.length > 0) {
            summary.to ??= date;
            summary.from = date;
          }
          writeBatch(recorder, take);
          summary.appointments += take.length;
          inThisTransaction += take.length;
          date = addDays(date, -1);
          walked += 1;
          if (summary.appointments % 10_000 < take.length)
            options.onProgress?.(summary.appointments, options.count);
        }
        recorder.finish();
        for (const statement of indexes) sqlite.exec(statement);
      });
    }
    options.onProgress?.(summary.appointments, options.count);

    // Recalls for about a fifth of the patients, due around now; a short waitlist.
    const checkUp =
      setup.appointmentTypes.find((t) => t.name === 'Check-up') ?? setup.appointmentTypes[0];
    if (checkUp && patients.length > 0) {
      await inTransaction(sqlite, async () => {
        const recorder = await BulkRecorder.create(sqlite, writer, newId);
        for (let i = 0; i < patients.length; i += 5) {
          const due = addDays(today, random.int(-120, 240));
          recorder.insert(
            'recall',
            {
              patient_id: patients[i]!,
              type_id: checkUp.id,
              interval_months: 6,
              due_date: due,
              last_visit_date: addMonths(due, -6),
              status: 'active',
              notes: null,
            },
            at,
          );
          summary.recalls += 1;
        }
        for (let i = 0; i < Math.min(40, patients.length); i++) {
          const type = random.pick(setup.appointmentTypes);
          recorder.insert(
            'waitlist_entry',
            {
              patient_id: random.pick(patients),
              type_id: type.id,
              provider_id: null,
              duration_minutes: type.durationUnits * 5,
              preferred_weekdays: null,
              preferred_times: random.chance(0.5)
                ? JSON.stringify([
                    random.chance(0.5)
                      ? { start: '08:00', end: '12:00' }
                      : { start: '12:00', end: '18:00' },
                  ])
                : null,
              current_appointment_id: null,
              asap: random.chance(0.3) ? 1 : 0,
              notes: null,
              status: 'waiting',
              booked_appointment_id: null,
            },
            at,
          );
          summary.waitlist += 1;
        }
        recorder.finish();
      });
    }
  } finally {
    restore();
  }
  return summary;
}

/** Appointments per transaction: bounds the pages a transaction holds (about 2 kB each). */
const APPOINTMENTS_PER_TRANSACTION = 1_000_000;

/** Below this many new appointments, maintaining the indexes row by row is cheaper. */
const REBUILD_INDEXES_FROM = 20_000;

/** Tables a large load writes to; their secondary indexes are rebuilt once at the end. */
const LOADED_TABLES = ['appointment', 'change_log', 'audit_event'];

/**
 * Kept through a large load: a partial index that few seeded rows enter (appointments over two
 * hours; the default types have none) costs a test per row, while rebuilding it scans the table.
 */
const KEPT_DURING_LOAD: ReadonlySet<string> = new Set(['appointment_long']);

/** Drops the non-unique indexes of the loaded tables; returns the statements that recreate them. */
function dropSecondaryIndexes(sqlite: SqliteDatabase): string[] {
  const rows = sqlite
    .prepare(
      `SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL
         AND tbl_name IN (${LOADED_TABLES.map(() => '?').join(', ')})`,
    )
    .all(...LOADED_TABLES) as Array<{ name: string; sql: string }>;
  const dropped: string[] = [];
  for (const { name, sql } of rows) {
    if (/^CREATE\s+UNIQUE\b/i.test(sql) || KEPT_DURING_LOAD.has(name)) continue;
    sqlite.exec(`DROP INDEX "${name.replace(/"/g, '""')}"`);
    dropped.push(sql);
  }
  return dropped;
}

/** Runs `write` in one IMMEDIATE transaction on the raw handle; rolls back if it throws. */
async function inTransaction(sqlite: SqliteDatabase, write: () => Promise<void>): Promise<void> {
  sqlite.exec('BEGIN IMMEDIATE');
  try {
    await write();
    sqlite.exec('COMMIT');
  } catch (e) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw e;
  }
}

/**
 * For the load only: a rollback journal instead of the write-ahead log (each page is encrypted
 * and written once, not twice) and a page cache that holds a transaction. Returns the undo.
 */
function prepareForLoad(sqlite: SqliteDatabase): () => void {
  const cacheSize = sqlite.pragma('cache_size', { simple: true }) as number;
  const journal = String(sqlite.pragma('journal_mode', { simple: true }));
  sqlite.pragma('cache_size=-1572864');
  let switched = false;
  if (journal.toLowerCase() === 'wal') {
    try {
      sqlite.pragma('wal_checkpoint(TRUNCATE)');
      switched = String(sqlite.pragma('journal_mode=DELETE', { simple: true })) === 'delete';
    } catch {
      switched = false;
    }
  }
  return () => {
    if (switched) sqlite.pragma(`journal_mode=${journal}`);
    sqlite.pragma(`cache_size=${cacheSize}`);
  };
}

/** Lays out one local date's appointments for every provider. */
class DayPlanner {
  private readonly calendar;
  private readonly typesByKind = new Map<Provider['kind'], Weighted<AppointmentType>>();
  private readonly chairs: string[];
  private readonly providers: Provider[];
  private dayIndex = 0;

  constructor(
    private readonly setup: SchedulingSetup,
    private readonly random: Random,
    private readonly patients: readonly string[],
    private readonly now: Instant,
  ) {
    this.calendar = createCalendar(setup);
    this.chairs = setup.chairs.filter((c) => c.active !== false).map((c) => c.id);
    this.providers = setup.providers.filter((p) => p.active !== false);
    for (const kind of ['dentist', 'hygienist', 'other'] as const) {
      const weightOf = (t: AppointmentType) =>
        DEFAULT_TYPES.find((d) => d.name === t.name)?.weights[kind] ?? 1;
      const types = setup.appointmentTypes.filter(
        (t) => t.active !== false && t.allowedProviderKinds.includes(kind),
      );
      if (types.length > 0) {
        this.typesByKind.set(kind, new Weighted(types.map((t) => [t, weightOf(t)] as const)));
      }
    }
  }

  day(date: string, today: string): Planned[] {
    const r = this.random;
    const out: Planned[] = [];
    this.dayIndex += 1;
    const open = this.calendar.openOn(date);
    if (open.length === 0 || this.chairs.length === 0) return out;
    const bounds = this.calendar.day(date);
    if (this.calendar.clinicClosures(bounds.start, bounds.end).length > 0) return out;
    const daysAhead =
      date > today ? Number((Date.parse(date) - Date.parse(today)) / 86_400_000) : 0;
    // The coming weeks are partly booked: fuller soon, sparse later.
    const fill = date > today ? Math.max(0.08, 0.85 - daysAhead * 0.015) : 1;
    const seen = new Set<string>();
    this.providers.forEach((provider, i) => {
      const types = this.typesByKind.get(provider.kind);
      if (!types) return;
      const chair = this.chairs[(i + this.dayIndex) % this.chairs.length]!;
      const closed = this.calendar.chairClosures(chair, bounds.start, bounds.end).length > 0;
      if (
        closed ||
        this.calendar.providerClosures(provider.id, bounds.start, bounds.end).length > 0
      )
        return;
      const working = this.calendar.workingOn(provider.id, date) ?? open;
      for (const span of working) {
        // Inside opening hours only: a provider's hours may be wider than the clinic's.
        for (const window of open) {
          let t = Math.max(span.start, window.start);
          const end = Math.min(span.end, window.end);
          while (t < end) {
            const type = types.sample(r);
            const length = type.durationUnits * 5 * MINUTE_MS;
            if (t + length > end) break;
            if (r.chance(0.03) || !r.chance(fill)) {
              t += length;
              continue;
            }
            // Some bookings were cancelled, and most of those slots were given to someone else.
            const cancelled = r.chance(0.08);
            const rebooked = cancelled && r.chance(0.75);
            for (const state of rebooked ? [true, false] : [cancelled]) {
              const patient = this.freePatient(seen);
              if (!patient) break;
              out.push(
                this.appointment(patient, chair, provider.id, type.id, t, t + length, state),
              );
            }
            t += length;
          }
        }
      }
    });
    return out;
  }

  /** A patient not yet seen on this date (one visit a day each), or null if none turns up. */
  private freePatient(seen: Set<string>): string | null {
    for (let tries = 0; tries < 6; tries++) {
      const patient = this.random.pick(this.patients);
      if (!seen.has(patient)) {
        seen.add(patient);
        return patient;
      }
    }
    return null;
  }

  private appointment(
    patient: string,
    chair: string,
    provider: string,
    type: string,
    start: Instant,
    end: Instant,
    cancelled: boolean,
  ): Planned {
    const r = this.random;
    let status: AppointmentStatus;
    let late: number | null = null;
    let cancelReason: string | null = null;
    let cancelledBy: string | null = null;
    const roll = r.next();
    if (cancelled) {
      status = 'cancelled';
      cancelledBy = r.chance(0.85) ? 'patient' : 'clinic';
      late = cancelledBy === 'patient' && r.chance(0.3) ? 1 : 0;
      cancelReason = r.pick(CANCEL_REASONS);
    } else if (end <= this.now) {
      status = roll < 0.03 ? 'no_show' : 'completed';
    } else if (start <= this.now) {
      status = 'in_chair';
    } else if (
      localDateOf(start, this.setup.timeZone) === localDateOf(this.now, this.setup.timeZone)
    ) {
      status = start - this.now < 20 * MINUTE_MS ? 'arrived' : 'confirmed';
    } else {
      status = roll < 0.4 ? 'confirmed' : 'booked';
    }
    return {
      patient,
      chair,
      provider,
      type,
      start,
      end,
      status,
      late,
      cancelReason,
      cancelledBy,
      notes: r.chance(0.03) ? r.pick(NOTES) : null,
    };
  }
}

/** One line for the CLI: the span the seeded book covers. */
export function describeSpan(summary: AppointmentSeedSummary, timeZone: string): string {
  if (!summary.from || !summary.to) return 'no appointments';
  const years = (Date.parse(summary.to) - Date.parse(summary.from)) / (365.25 * 86_400_000);
  return `${summary.from} to ${summary.to} (${years.toFixed(1)} years, ${timeZone})`;
}
