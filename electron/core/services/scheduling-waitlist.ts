/**
 * The waitlist (ASAP list): patients who want an appointment, or an earlier one, as soon as
 * time frees up.
 *
 * Design:
 * - An entry says what the patient needs (type or length, optionally a provider) and when they
 *   can come (weekdays, time ranges). When a cancellation frees a slot, entries that fit it are
 *   offered: ASAP first, then the longest waiting.
 * - An entry may point at the patient's current booking: taking an offer then moves that booking
 *   to the freed slot instead of making a second one, and is only offered when the slot is
 *   earlier than what they have.
 * - Booking from an offer goes through the same checks as any booking (conflicts, overrides);
 *   the offer only narrows down who to call.
 */
import { sql } from 'kysely';
import { AppError, type FieldIssue } from '../../../shared/errors';
import type { AlertKind } from '../../../shared/domain/patient';
import { ALERT_KINDS } from '../../../shared/domain/patient';
import type {
  BookAppointment,
  WaitlistEntryInput,
  WaitlistEntryView,
  WaitlistOffer,
} from '../../../shared/ipc/scheduling';
import {
  GRID_MINUTES,
  MINUTE_MS,
  WEEKDAYS,
  holdsTime,
  parseLocalTime,
  timeRangeSchema,
  utcToZoned,
} from '../../../shared/scheduling';
import type {
  AppointmentStatus,
  BookingOverride,
  Instant,
  TimeRange,
  Weekday,
} from '../../../shared/scheduling';
import { insertRecord, updateRecord } from '../db/changes';
import type { Executor } from '../db/kysely';
import { notFound } from '../errors';
import type { ServiceContext } from './context';
import { applyChanges, insertBooking } from './scheduling-book';
import { cardById, patientAppointments } from './scheduling-queries';
import { readerIn } from './scheduling-reads';
import { loadSetup } from './scheduling-setup';

interface EntryRow {
  id: string;
  patient_id: string;
  type_id: string | null;
  provider_id: string | null;
  duration_minutes: number;
  preferred_weekdays: string | null;
  preferred_times: string | null;
  current_appointment_id: string | null;
  asap: number;
  notes: string | null;
  status: string;
  created_at: string;
  chart_number: string | null;
  given_names: string | null;
  family_name: string | null;
  preferred_name: string | null;
  patient_deleted: number | null;
  alert_kinds: string | null;
  current_start: number | null;
  current_end: number | null;
  current_status: string | null;
}

function parseJsonArray(json: string | null): unknown[] | null {
  if (!json) return null;
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

const alertKindsOf = (csv: string | null): AlertKind[] =>
  csv
    ? [...new Set(csv.split(','))]
        .filter((k): k is AlertKind => (ALERT_KINDS as readonly string[]).includes(k))
        .sort()
    : [];

function toView(r: EntryRow): WaitlistEntryView {
  const weekdays = parseJsonArray(r.preferred_weekdays)?.filter((d): d is Weekday =>
    (WEEKDAYS as readonly unknown[]).includes(d),
  );
  const times = parseJsonArray(r.preferred_times)
    ?.map((t) => timeRangeSchema.safeParse(t))
    .filter((t) => t.success)
    .map((t) => t.data);
  const holds =
    r.current_start !== null &&
    r.current_end !== null &&
    r.current_status !== null &&
    holdsTime(r.current_status as AppointmentStatus);
  return {
    id: r.id,
    patientId: r.patient_id,
    patient:
      r.given_names !== null && r.family_name !== null && r.patient_deleted === 0
        ? {
            id: r.patient_id,
            chartNumber: r.chart_number ?? '',
            givenNames: r.given_names,
            familyName: r.family_name,
            preferredName: r.preferred_name,
            alertKinds: alertKindsOf(r.alert_kinds),
          }
        : null,
    typeId: r.type_id,
    providerId: r.provider_id,
    durationMinutes: r.duration_minutes,
    preferredWeekdays: weekdays && weekdays.length > 0 ? weekdays : null,
    preferredTimes: times && times.length > 0 ? times : null,
    currentAppointment:
      holds && r.current_appointment_id
        ? { id: r.current_appointment_id, start: r.current_start!, end: r.current_end! }
        : null,
    asap: r.asap === 1,
    notes: r.notes,
    status: r.status === 'booked' ? 'booked' : r.status === 'removed' ? 'removed' : 'waiting',
    createdAt: r.created_at,
  };
}

const ENTRY_SELECT = sql`
  SELECT w.id, w.patient_id, w.type_id, w.provider_id, w.duration_minutes, w.preferred_weekdays,
    w.preferred_times, w.current_appointment_id, w.asap, w.notes, w.status, w.created_at,
    p.chart_number, p.given_names, p.family_name, p.preferred_name, p.deleted AS patient_deleted,
    (SELECT group_concat(pa.kind) FROM patient_alert pa
       WHERE pa.patient_id = w.patient_id AND pa.deleted = 0) AS alert_kinds,
    a.starts_at AS current_start, a.ends_at AS current_end, a.status AS current_status
  FROM waitlist_entry w
    LEFT JOIN patient p ON p.id = w.patient_id
    LEFT JOIN appointment a ON a.id = w.current_appointment_id AND a.deleted = 0`;

async function waitingEntries(db: Executor): Promise<WaitlistEntryView[]> {
  const rows = await sql<EntryRow>`${ENTRY_SELECT}
    WHERE w.status = 'waiting' AND w.deleted = 0 AND p.deleted = 0
    ORDER BY w.asap DESC, w.created_at, w.id
    LIMIT 1000`.execute(db);
  return rows.rows.map(toView);
}

export function listWaitlist(ctx: ServiceContext): Promise<WaitlistEntryView[]> {
  return waitingEntries(ctx.db);
}

export async function patientWaitlist(
  ctx: ServiceContext,
  patientId: string,
): Promise<WaitlistEntryView[]> {
  const rows = await sql<EntryRow>`${ENTRY_SELECT}
    WHERE w.patient_id = ${patientId} AND w.status = 'waiting' AND w.deleted = 0
    ORDER BY w.created_at, w.id`.execute(ctx.db);
  return rows.rows.map(toView);
}

async function entryById(db: Executor, id: string): Promise<WaitlistEntryView> {
  const rows = await sql<EntryRow>`${ENTRY_SELECT} WHERE w.id = ${id} AND w.deleted = 0`.execute(
    db,
  );
  const row = rows.rows[0];
  if (!row) throw notFound('The waitlist entry');
  return toView(row);
}

export async function addToWaitlist(
  ctx: ServiceContext,
  input: WaitlistEntryInput & { asap: boolean; notes: string | null },
): Promise<WaitlistEntryView> {
  const id = await ctx.db.transaction().execute(async (tx) => {
    const { setup } = await loadSetup(ctx, tx);
    const issues: FieldIssue[] = [];
    const patient = await tx
      .selectFrom('patient')
      .select('id')
      .where('id', '=', input.patientId)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (!patient) issues.push({ path: 'entry.patientId', message: 'The patient was not found' });
    const type = input.typeId ? setup.appointmentTypes.find((t) => t.id === input.typeId) : null;
    if (input.typeId && !type)
      issues.push({ path: 'entry.typeId', message: 'This appointment type is not set up' });
    const provider = input.providerId
      ? setup.providers.find((p) => p.id === input.providerId)
      : null;
    if (input.providerId && !provider)
      issues.push({ path: 'entry.providerId', message: 'This provider is not set up' });
    if (type && provider && !type.allowedProviderKinds.includes(provider.kind)) {
      issues.push({
        path: 'entry.providerId',
        message: 'This provider cannot do this type of appointment',
      });
    }
    const duration =
      input.durationMinutes ?? (type ? type.durationUnits * GRID_MINUTES : undefined);
    if (duration === undefined)
      issues.push({ path: 'entry.typeId', message: 'Choose an appointment type or a length' });
    if (input.currentAppointmentId) {
      const current = await tx
        .selectFrom('appointment')
        .select(['patient_id', 'status', 'starts_at'])
        .where('id', '=', input.currentAppointmentId)
        .where('deleted', '=', 0)
        .executeTakeFirst();
      if (
        !current ||
        current.patient_id !== input.patientId ||
        !holdsTime(current.status as AppointmentStatus) ||
        current.starts_at <= ctx.writer.now().getTime()
      ) {
        issues.push({
          path: 'entry.currentAppointmentId',
          message: "Choose one of the patient's future bookings",
        });
      }
    }
    if (issues.length > 0) throw new AppError('VALIDATION', 'Some details need attention.', issues);
    const { id } = await insertRecord(tx, ctx.writer, 'waitlist_entry', {
      patient_id: input.patientId,
      type_id: input.typeId ?? null,
      provider_id: input.providerId ?? null,
      duration_minutes: duration!,
      preferred_weekdays: input.preferredWeekdays?.length
        ? JSON.stringify(WEEKDAYS.filter((d) => input.preferredWeekdays!.includes(d)))
        : null,
      preferred_times: input.preferredTimes?.length ? JSON.stringify(input.preferredTimes) : null,
      current_appointment_id: input.currentAppointmentId ?? null,
      asap: input.asap ? 1 : 0,
      notes: input.notes,
      status: 'waiting',
      booked_appointment_id: null,
    });
    return id;
  });
  ctx.emit('schedule.changed', { setup: false });
  return entryById(ctx.db, id);
}

export async function removeFromWaitlist(ctx: ServiceContext, id: string): Promise<null> {
  await ctx.db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('waitlist_entry')
      .select('status')
      .where('id', '=', id)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (!row || row.status !== 'waiting') throw notFound('The waitlist entry');
    await updateRecord(tx, ctx.writer, 'waitlist_entry', id, { status: 'removed' });
  });
  ctx.emit('schedule.changed', { setup: false });
  return null;
}

/** Wall-clock minutes of [start, end) on the start's date; null if it crosses midnight. */
function wallMinutes(start: Instant, end: Instant, timeZone: string) {
  const from = utcToZoned(start, timeZone);
  const to = utcToZoned(end, timeZone);
  const toMinutes =
    to.date === from.date ? parseLocalTime(to.time) : to.time === '00:00' ? 24 * 60 : null;
  if (toMinutes === null) return null;
  return { weekday: from.weekday, from: parseLocalTime(from.time), to: toMinutes };
}

function fitsPreferences(
  entry: WaitlistEntryView,
  start: Instant,
  end: Instant,
  timeZone: string,
): boolean {
  if (!entry.preferredWeekdays && !entry.preferredTimes) return true;
  const wall = wallMinutes(start, end, timeZone);
  if (!wall) return false;
  if (entry.preferredWeekdays && !entry.preferredWeekdays.includes(wall.weekday)) return false;
  if (!entry.preferredTimes) return true;
  return entry.preferredTimes.some(
    (r: TimeRange) =>
      parseLocalTime(r.start) <= wall.from && wall.to <= parseLocalTime(r.end, true),
  );
}

/** Waitlist entries that could take [start, end) in the chair with the provider, best first. */
export async function waitlistOffers(
  ctx: ServiceContext,
  slot: {
    chairId: string;
    providerId: string;
    start: Instant;
    end: Instant;
    excludePatientId?: string;
  },
): Promise<WaitlistOffer[]> {
  if (slot.end <= slot.start) return [];
  const { setup } = await loadSetup(ctx);
  const provider = setup.providers.find((p) => p.id === slot.providerId);
  if (!provider) return [];
  const offers: WaitlistOffer[] = [];
  for (const entry of await waitingEntries(ctx.db)) {
    if (offers.length >= 10) break;
    if (entry.patientId === slot.excludePatientId || !entry.patient) continue;
    const end = slot.start + entry.durationMinutes * MINUTE_MS;
    if (end > slot.end) continue;
    if (entry.providerId && entry.providerId !== slot.providerId) continue;
    if (entry.typeId) {
      const type = setup.appointmentTypes.find((t) => t.id === entry.typeId);
      if (!type || !type.allowedProviderKinds.includes(provider.kind)) continue;
    }
    if (entry.currentAppointment && entry.currentAppointment.start <= slot.start) continue;
    if (!fitsPreferences(entry, slot.start, end, setup.timeZone)) continue;
    const busy = await patientAppointments(readerIn(ctx.db), entry.patientId, slot.start, end);
    if (busy.some((a) => a.id !== entry.currentAppointment?.id)) continue;
    offers.push({
      entry,
      start: slot.start,
      end,
      chairId: slot.chairId,
      providerId: slot.providerId,
    });
  }
  return offers;
}

/** Gives a slot to a waitlist patient: their booking brought forward, or a new one. */
export async function bookFromWaitlist(
  ctx: ServiceContext,
  input: {
    entryId: string;
    appointmentId: string;
    start: Instant;
    chairId: string;
    providerId: string;
    typeId?: string | undefined;
    override?: BookingOverride | undefined;
  },
): Promise<BookAppointment> {
  const appointmentId = await ctx.db.transaction().execute(async (tx) => {
    const entry = await entryById(tx, input.entryId);
    if (entry.status !== 'waiting') {
      throw new AppError('CONFLICT', 'This patient is no longer on the waitlist.');
    }
    let id: string;
    if (entry.currentAppointment) {
      id = entry.currentAppointment.id;
      await applyChanges(
        tx,
        ctx,
        id,
        {
          start: input.start,
          durationMinutes: entry.durationMinutes,
          chairId: input.chairId,
          providerId: input.providerId,
          ...(input.typeId ? { typeId: input.typeId } : {}),
        },
        input.override,
      );
    } else {
      const typeId = input.typeId ?? entry.typeId;
      if (!typeId) {
        throw new AppError('VALIDATION', 'Choose an appointment type.', [
          { path: 'typeId', message: 'Choose an appointment type' },
        ]);
      }
      id = input.appointmentId;
      await insertBooking(
        tx,
        ctx,
        {
          id,
          patientId: entry.patientId,
          chairId: input.chairId,
          providerId: input.providerId,
          typeId,
          start: input.start,
          durationMinutes: entry.durationMinutes,
          notes: entry.notes,
        },
        input.override,
      );
    }
    await updateRecord(tx, ctx.writer, 'waitlist_entry', entry.id, {
      status: 'booked',
      booked_appointment_id: id,
    });
    return id;
  });
  ctx.emit('schedule.changed', { setup: false });
  const card = await cardById(ctx.db, appointmentId);
  if (!card) throw notFound('The appointment');
  return card;
}
