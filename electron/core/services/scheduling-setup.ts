/**
 * The clinic's scheduling set-up: chairs, providers, appointment types, opening hours, provider
 * hours and breaks, closures and the late-cancellation policy.
 *
 * Design:
 * - Hours are stored one row per weekday or date. Their ids are derived (UUIDv5) from the clinic,
 *   the provider and the day, so two workstations editing Monday offline write the same row and
 *   the merge keeps one answer per day. A day's row is never tombstoned: `hours = 'null'` means
 *   "no entry" (the weekday applies again, or the provider follows the clinic), which lets the
 *   same row be set again later.
 * - A provider has their own schedule while any of their rows holds hours; otherwise they work
 *   whenever the clinic is open (the rules in shared/scheduling say the same).
 * - Reading the set-up is on every book, conflict and free-slot call, so it is cached per open
 *   store and keyed by the `setup` row of `scheduling_version`, which triggers bump on any change to the
 *   set-up tables, whoever writes them (a command here, a seed, a sync apply).
 * - Stored JSON is read defensively: a malformed value from another replica reads as empty
 *   rather than failing the whole book.
 */
import { sql } from 'kysely';
import { v5 as uuidv5 } from 'uuid';
import { AppError } from '../../../shared/errors';
import type { SchedulingSetupView } from '../../../shared/ipc/scheduling';
import {
  DEFAULT_LATE_CANCELLATION_POLICY,
  PROVIDER_KINDS,
  WEEKDAYS,
  lateCancellationPolicySchema,
  timeRangeSchema,
} from '../../../shared/scheduling';
import type {
  AppointmentType,
  Chair,
  Closure,
  LateCancellationPolicy,
  OpeningHours,
  Provider,
  ProviderDay,
  ProviderKind,
  ProviderSchedule,
  TimeRange,
  Weekday,
} from '../../../shared/scheduling';
import { insertRecord, updateRecord, deleteRecord, type ReplicatedTable } from '../db/changes';
import type { Db, Executor, Tx } from '../db/kysely';
import { notFound } from '../errors';
import type { ServiceContext } from './context';
import { readerIn, reading, type Reader } from './scheduling-reads';

/** Namespace of the derived ids of hours and settings rows. */
const SETUP_NAMESPACE = '5b0c8a2e-6f1d-4c3b-9a7e-2d4f6b8c0e13';

export function hoursRowId(clinicId: string, providerId: string | null, day: string): string {
  return uuidv5(`${clinicId}:hours:${providerId ?? 'clinic'}:${day}`, SETUP_NAMESPACE);
}

export function settingsRowId(clinicId: string): string {
  return uuidv5(`${clinicId}:scheduling-settings`, SETUP_NAMESPACE);
}

const NO_ENTRY = 'null';

// ---------------------------------------------------------------------------------------------
// Reading

function parseRanges(json: string | null): TimeRange[] | null {
  if (json === null || json === NO_ENTRY) return null;
  try {
    const value: unknown = JSON.parse(json);
    if (!Array.isArray(value)) return [];
    const out: TimeRange[] = [];
    for (const v of value) {
      const r = timeRangeSchema.safeParse(v);
      if (r.success) out.push(r.data);
    }
    return out;
  } catch {
    return [];
  }
}

function parseStringList(json: string | null): string[] {
  if (!json) return [];
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

const isWeekday = (day: string): day is Weekday => (WEEKDAYS as readonly string[]).includes(day);

function parsePolicy(json: string | undefined): LateCancellationPolicy {
  if (!json) return DEFAULT_LATE_CANCELLATION_POLICY;
  try {
    const parsed = lateCancellationPolicySchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : DEFAULT_LATE_CANCELLATION_POLICY;
  } catch {
    return DEFAULT_LATE_CANCELLATION_POLICY;
  }
}

/** The set-up straight from the tables, for callers without a session (the seed). */
export async function readSetup(db: Executor, timeZone: string): Promise<SchedulingSetupView> {
  const [chairs, providers, types, opening, providerHours, closures, settings] = await Promise.all([
    db
      .selectFrom('chair')
      .select(['id', 'name', 'active'])
      .where('deleted', '=', 0)
      .orderBy('position')
      .orderBy('name')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('provider')
      .select(['id', 'name', 'kind', 'colour', 'active'])
      .where('deleted', '=', 0)
      .orderBy('position')
      .orderBy('name')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('appointment_type')
      .select([
        'id',
        'name',
        'duration_units',
        'colour',
        'allowed_provider_kinds',
        'default_procedure_codes',
        'active',
      ])
      .where('deleted', '=', 0)
      .orderBy('position')
      .orderBy('name')
      .orderBy('id')
      .execute(),
    db.selectFrom('opening_hours').select(['day', 'hours']).where('deleted', '=', 0).execute(),
    db
      .selectFrom('provider_hours')
      .select(['provider_id', 'day', 'hours', 'breaks'])
      .where('deleted', '=', 0)
      .orderBy('provider_id')
      .orderBy('day')
      .execute(),
    db
      .selectFrom('closure')
      .selectAll()
      .where('deleted', '=', 0)
      .orderBy('start_date')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('scheduling_settings')
      .select('late_cancellation')
      .where('deleted', '=', 0)
      .orderBy('id')
      .executeTakeFirst(),
  ]);

  const weekly: OpeningHours['weekly'] = {};
  const dates: NonNullable<OpeningHours['dates']> = [];
  for (const row of opening) {
    const hours = parseRanges(row.hours);
    if (hours === null) continue;
    if (isWeekday(row.day)) weekly[row.day] = hours;
    else dates.push({ date: row.day, hours });
  }
  dates.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));

  const providerIds = new Set(providers.map((p) => p.id));
  const schedules = new Map<string, ProviderSchedule>();
  for (const row of providerHours) {
    if (!providerIds.has(row.provider_id)) continue;
    const hours = parseRanges(row.hours);
    if (hours === null) continue;
    const day: ProviderDay = { hours, breaks: parseRanges(row.breaks) ?? [] };
    let schedule = schedules.get(row.provider_id);
    if (!schedule) {
      schedule = { providerId: row.provider_id, weekly: {}, dates: [] };
      schedules.set(row.provider_id, schedule);
    }
    if (isWeekday(row.day)) schedule.weekly[row.day] = day;
    else schedule.dates!.push({ ...day, date: row.day });
  }

  const chairList: Chair[] = chairs.map((c) => ({
    id: c.id,
    name: c.name,
    active: c.active === 1,
  }));
  const providerList: Provider[] = providers.map((p) => ({
    id: p.id,
    name: p.name,
    kind: (PROVIDER_KINDS as readonly string[]).includes(p.kind)
      ? (p.kind as ProviderKind)
      : 'other',
    colour: p.colour,
    active: p.active === 1,
  }));
  const typeList: AppointmentType[] = types.map((t) => {
    const kinds = parseStringList(t.allowed_provider_kinds).filter((k): k is ProviderKind =>
      (PROVIDER_KINDS as readonly string[]).includes(k),
    );
    const codes = parseStringList(t.default_procedure_codes);
    return {
      id: t.id,
      name: t.name,
      durationUnits: t.duration_units,
      colour: t.colour,
      allowedProviderKinds: [...new Set(kinds)],
      ...(codes.length > 0 ? { defaultProcedureCodes: codes } : {}),
      active: t.active === 1,
    };
  });
  const closureList: Closure[] = closures.map((c) => ({
    id: c.id,
    startDate: c.start_date,
    endDate: c.end_date,
    ...(c.start_time ? { startTime: c.start_time } : {}),
    ...(c.end_time ? { endTime: c.end_time } : {}),
    chairId: c.chair_id,
    providerId: c.provider_id,
    reason: c.reason,
  }));

  return {
    setup: {
      timeZone,
      chairs: chairList,
      providers: providerList,
      appointmentTypes: typeList,
      openingHours: { weekly, dates },
      providerSchedules: [...schedules.values()],
      closures: closureList,
    },
    lateCancellation: parsePolicy(settings?.late_cancellation),
  };
}

interface CachedSetup {
  version: number;
  timeZone: string;
  view: SchedulingSetupView;
}

const cache = new WeakMap<Db, CachedSetup>();

const SETUP_VERSION = `SELECT version FROM scheduling_version WHERE name = 'setup'`;

/**
 * The set-up as the rules want it, from the cache when nothing changed. `executor` may be a
 * transaction of `ctx.db` (reads then see its own uncommitted writes; those are not cached).
 */
export async function loadSetup(
  ctx: ServiceContext,
  executor: Executor = ctx.db,
): Promise<SchedulingSetupView> {
  return executor === ctx.db
    ? reading(ctx, (reader) => setupFrom(ctx, reader))
    : setupFrom(ctx, readerIn(executor));
}

/** `loadSetup` within the reads of a view (see scheduling-reads.ts). */
export async function setupFrom(ctx: ServiceContext, reader: Reader): Promise<SchedulingSetupView> {
  const timeZone = ctx.clinic.timeZone;
  const version = (await reader.rows<{ version: number }>(SETUP_VERSION))[0]?.version ?? -1;
  const cached = cache.get(ctx.db);
  if (cached && cached.version === version && cached.timeZone === timeZone) return cached.view;
  const view = await readSetup(reader.db, timeZone);
  if (reader.committed) cache.set(ctx.db, { version, timeZone, view });
  return view;
}

// ---------------------------------------------------------------------------------------------
// Writing

type Columns = Record<string, string | number | null>;

/** Inserts the row, or updates it when it exists; a tombstoned row stays removed. */
async function upsert(
  tx: Tx,
  ctx: ServiceContext,
  table: ReplicatedTable,
  id: string,
  values: Columns,
  what: string,
): Promise<void> {
  const existing = await sql<{
    deleted: number;
  }>`SELECT deleted FROM ${sql.table(table)} WHERE id = ${id}`.execute(tx);
  const row = existing.rows[0];
  if (!row) await insertRecord(tx, ctx.writer, table, { ...values, id });
  else if (row.deleted) throw notFound(what);
  else await updateRecord(tx, ctx.writer, table, id, values);
}

async function nextPosition(tx: Tx, table: 'chair' | 'provider' | 'appointment_type') {
  const row = await tx
    .selectFrom(table)
    .select((eb) => eb.fn.max('position').as('max'))
    .executeTakeFirst();
  return Number(row?.max ?? -1) + 1;
}

async function writeSetup(
  ctx: ServiceContext,
  write: (tx: Tx) => Promise<void>,
): Promise<SchedulingSetupView> {
  await ctx.db.transaction().execute(write);
  ctx.emit('schedule.changed', { setup: true });
  return loadSetup(ctx);
}

async function positionFor(
  tx: Tx,
  table: 'chair' | 'provider' | 'appointment_type',
  id: string,
  given: number | undefined,
): Promise<number | undefined> {
  if (given !== undefined) return given;
  const existing = await tx.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
  return existing ? undefined : nextPosition(tx, table);
}

export function saveChair(
  ctx: ServiceContext,
  chair: Chair & { position?: number | undefined },
): Promise<SchedulingSetupView> {
  return writeSetup(ctx, async (tx) => {
    const position = await positionFor(tx, 'chair', chair.id, chair.position);
    await upsert(
      tx,
      ctx,
      'chair',
      chair.id,
      {
        name: chair.name,
        active: chair.active === false ? 0 : 1,
        ...(position !== undefined ? { position } : {}),
      },
      'The chair',
    );
  });
}

export function saveProvider(
  ctx: ServiceContext,
  provider: Provider & { position?: number | undefined },
): Promise<SchedulingSetupView> {
  return writeSetup(ctx, async (tx) => {
    const position = await positionFor(tx, 'provider', provider.id, provider.position);
    await upsert(
      tx,
      ctx,
      'provider',
      provider.id,
      {
        name: provider.name,
        kind: provider.kind,
        colour: provider.colour.toUpperCase(),
        active: provider.active === false ? 0 : 1,
        ...(position !== undefined ? { position } : {}),
      },
      'The provider',
    );
  });
}

export function saveType(
  ctx: ServiceContext,
  type: AppointmentType & { position?: number | undefined },
): Promise<SchedulingSetupView> {
  return writeSetup(ctx, async (tx) => {
    const position = await positionFor(tx, 'appointment_type', type.id, type.position);
    await upsert(
      tx,
      ctx,
      'appointment_type',
      type.id,
      {
        name: type.name,
        duration_units: type.durationUnits,
        colour: type.colour.toUpperCase(),
        allowed_provider_kinds: JSON.stringify(
          PROVIDER_KINDS.filter((k) => type.allowedProviderKinds.includes(k)),
        ),
        default_procedure_codes: type.defaultProcedureCodes?.length
          ? JSON.stringify(type.defaultProcedureCodes)
          : null,
        active: type.active === false ? 0 : 1,
        ...(position !== undefined ? { position } : {}),
      },
      'The appointment type',
    );
  });
}

/** Sets one day's row of the clinic (providerId null) or of a provider. */
async function setDay(
  tx: Tx,
  ctx: ServiceContext,
  providerId: string | null,
  day: string,
  hours: TimeRange[] | null,
  breaks: TimeRange[] | null,
): Promise<void> {
  const id = hoursRowId(ctx.clinic.id, providerId, day);
  const hoursJson = hours === null ? NO_ENTRY : JSON.stringify(hours);
  if (providerId === null) {
    await upsert(tx, ctx, 'opening_hours', id, { day, hours: hoursJson }, 'The opening hours');
  } else {
    await upsert(
      tx,
      ctx,
      'provider_hours',
      id,
      {
        provider_id: providerId,
        day,
        hours: hoursJson,
        breaks: hours === null ? NO_ENTRY : JSON.stringify(breaks ?? []),
      },
      "The provider's hours",
    );
  }
}

/** Days that currently hold a date-specific entry. */
async function datedDays(tx: Tx, providerId: string | null): Promise<string[]> {
  const rows =
    providerId === null
      ? await tx
          .selectFrom('opening_hours')
          .select(['day', 'hours'])
          .where('deleted', '=', 0)
          .execute()
      : await tx
          .selectFrom('provider_hours')
          .select(['day', 'hours'])
          .where('provider_id', '=', providerId)
          .where('deleted', '=', 0)
          .execute();
  return rows.filter((r) => !isWeekday(r.day) && r.hours !== NO_ENTRY).map((r) => r.day);
}

export function setOpeningHours(
  ctx: ServiceContext,
  hours: OpeningHours,
): Promise<SchedulingSetupView> {
  return writeSetup(ctx, async (tx) => {
    for (const day of WEEKDAYS) await setDay(tx, ctx, null, day, hours.weekly[day] ?? [], null);
    const given = new Set((hours.dates ?? []).map((d) => d.date));
    for (const date of await datedDays(tx, null)) {
      if (!given.has(date)) await setDay(tx, ctx, null, date, null, null);
    }
    for (const d of hours.dates ?? []) await setDay(tx, ctx, null, d.date, d.hours, null);
  });
}

async function requireProvider(tx: Executor, providerId: string): Promise<void> {
  const p = await tx
    .selectFrom('provider')
    .select('id')
    .where('id', '=', providerId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!p) {
    throw new AppError('VALIDATION', 'This provider is not set up.', [
      { path: 'providerId', message: 'This provider is not set up' },
    ]);
  }
}

export function setProviderSchedule(
  ctx: ServiceContext,
  providerId: string,
  schedule: {
    weekly: Partial<Record<Weekday, ProviderDay | undefined>>;
    dates?: Array<ProviderDay & { date: string }> | undefined;
  } | null,
): Promise<SchedulingSetupView> {
  return writeSetup(ctx, async (tx) => {
    await requireProvider(tx, providerId);
    const dates = schedule?.dates ?? [];
    if (new Set(dates.map((d) => d.date)).size !== dates.length) {
      throw new AppError('VALIDATION', 'Some details need attention.', [
        { path: 'schedule.dates', message: 'Each date only once' },
      ]);
    }
    for (const day of WEEKDAYS) {
      const entry = schedule?.weekly[day];
      // Within a schedule a missing weekday is a day off; no schedule clears every row.
      if (schedule) await setDay(tx, ctx, providerId, day, entry?.hours ?? [], entry?.breaks ?? []);
      else await setDay(tx, ctx, providerId, day, null, null);
    }
    const given = new Set(dates.map((d) => d.date));
    for (const date of await datedDays(tx, providerId)) {
      if (!given.has(date)) await setDay(tx, ctx, providerId, date, null, null);
    }
    for (const d of dates) await setDay(tx, ctx, providerId, d.date, d.hours, d.breaks ?? []);
  });
}

/** One date of a provider: a day off (`hours: []`), different hours, or back to the weekday's. */
export function setProviderDay(
  ctx: ServiceContext,
  providerId: string,
  date: string,
  day: ProviderDay | null,
): Promise<SchedulingSetupView> {
  return writeSetup(ctx, async (tx) => {
    await requireProvider(tx, providerId);
    const hasSchedule = await tx
      .selectFrom('provider_hours')
      .select('id')
      .where('provider_id', '=', providerId)
      .where('deleted', '=', 0)
      .where('hours', '!=', NO_ENTRY)
      .executeTakeFirst();
    if (day && !hasSchedule) {
      // A date entry alone would turn "follows the clinic" into "works only that date": the
      // provider's other days keep following the clinic by copying its weekly hours.
      const setup = await loadSetup(ctx, tx);
      for (const weekday of WEEKDAYS) {
        const hours = setup.setup.openingHours.weekly[weekday] ?? [];
        await setDay(tx, ctx, providerId, weekday, hours, []);
      }
    }
    await setDay(tx, ctx, providerId, date, day?.hours ?? null, day?.breaks ?? []);
  });
}

export function saveClosure(ctx: ServiceContext, closure: Closure): Promise<SchedulingSetupView> {
  return writeSetup(ctx, async (tx) => {
    const issues: { path: string; message: string }[] = [];
    if (closure.chairId) {
      const c = await tx
        .selectFrom('chair')
        .select('id')
        .where('id', '=', closure.chairId)
        .where('deleted', '=', 0)
        .executeTakeFirst();
      if (!c) issues.push({ path: 'closure.chairId', message: 'This chair is not set up' });
    }
    if (closure.providerId) {
      const p = await tx
        .selectFrom('provider')
        .select('id')
        .where('id', '=', closure.providerId)
        .where('deleted', '=', 0)
        .executeTakeFirst();
      if (!p) issues.push({ path: 'closure.providerId', message: 'This provider is not set up' });
    }
    if (issues.length > 0) throw new AppError('VALIDATION', 'Some details need attention.', issues);
    await upsert(
      tx,
      ctx,
      'closure',
      closure.id,
      {
        start_date: closure.startDate,
        end_date: closure.endDate,
        start_time: closure.startTime ?? null,
        end_time: closure.endTime ?? null,
        chair_id: closure.chairId ?? null,
        provider_id: closure.providerId ?? null,
        reason: closure.reason ?? null,
      },
      'The closure',
    );
  });
}

export function removeClosure(ctx: ServiceContext, id: string): Promise<SchedulingSetupView> {
  return writeSetup(ctx, async (tx) => {
    const row = await tx
      .selectFrom('closure')
      .select('id')
      .where('id', '=', id)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (!row) throw notFound('The closure');
    await deleteRecord(tx, ctx.writer, 'closure', id);
  });
}

export function setPolicy(
  ctx: ServiceContext,
  lateCancellation: LateCancellationPolicy,
): Promise<SchedulingSetupView> {
  return writeSetup(ctx, async (tx) => {
    await upsert(
      tx,
      ctx,
      'scheduling_settings',
      settingsRowId(ctx.clinic.id),
      { late_cancellation: JSON.stringify(lateCancellation) },
      'The scheduling settings',
    );
  });
}
