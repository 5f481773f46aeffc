/**
 * Recalls: per patient and appointment type, an interval (a 6-month check-up) and the date the
 * patient is next due.
 *
 * Design:
 * - One row per patient and type; setting it again updates that row. The due date is stored, so
 *   "due or overdue by a date" is an index range scan (`recall_due`).
 * - Completing an appointment of the type moves the due date to the visit's date plus the
 *   interval (in calendar months, clamped to the month's end: 31 Aug + 6 months = 28/29 Feb).
 * - A recall counts as booked while the patient holds a future appointment of the type; the
 *   list leaves those out unless asked, so it reads as "who still needs a call".
 */
import { sql } from 'kysely';
import { todayIn } from '../../../shared/dates';
import { AppError } from '../../../shared/errors';
import type { AlertKind } from '../../../shared/domain/patient';
import { ALERT_KINDS } from '../../../shared/domain/patient';
import type { RecallView } from '../../../shared/ipc/scheduling';
import { localDateOf } from '../../../shared/scheduling';
import { insertRecord, updateRecord } from '../db/changes';
import type { Executor, Tx } from '../db/kysely';
import { notFound } from '../errors';
import type { ServiceContext } from './context';
import { loadSetup } from './scheduling-setup';

/** `date` plus whole calendar months, the day clamped to the end of the month. */
export function addMonths(date: string, months: number): string {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7)) - 1 + months;
  const d = Number(date.slice(8, 10));
  const year = y + Math.floor(m / 12);
  const month = ((m % 12) + 12) % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(d, last);
  return `${String(year).padStart(4, '0')}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

interface RecallRow {
  id: string;
  patient_id: string;
  type_id: string;
  interval_months: number;
  due_date: string;
  last_visit_date: string | null;
  status: string;
  notes: string | null;
  chart_number: string | null;
  given_names: string | null;
  family_name: string | null;
  preferred_name: string | null;
  patient_deleted: number | null;
  alert_kinds: string | null;
  phone: string | null;
  booked: string | null;
}

const alertKindsOf = (csv: string | null): AlertKind[] =>
  csv
    ? [...new Set(csv.split(','))]
        .filter((k): k is AlertKind => (ALERT_KINDS as readonly string[]).includes(k))
        .sort()
    : [];

function toView(r: RecallRow): RecallView {
  let booked: RecallView['booked'] = null;
  if (r.booked) {
    const [id, start] = r.booked.split(' ');
    if (id && start) booked = { id, start: Number(start) };
  }
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
            preferredPhone: r.phone,
          }
        : null,
    typeId: r.type_id,
    intervalMonths: r.interval_months,
    dueDate: r.due_date,
    lastVisitDate: r.last_visit_date,
    status: r.status === 'stopped' ? 'stopped' : 'active',
    notes: r.notes,
    booked,
  };
}

const nextBooking = (now: number) => sql`
  SELECT a.id || ' ' || a.starts_at FROM appointment a
  WHERE a.patient_id = r.patient_id AND a.type_id = r.type_id AND a.ends_at > ${now}
    AND a.deleted = 0 AND a.status IN ('booked', 'confirmed', 'arrived', 'in_chair')
  ORDER BY a.starts_at LIMIT 1`;

const recallSelect = (now: number) => sql`
  SELECT r.id, r.patient_id, r.type_id, r.interval_months, r.due_date, r.last_visit_date,
    r.status, r.notes, p.chart_number, p.given_names, p.family_name, p.preferred_name,
    p.deleted AS patient_deleted,
    (SELECT group_concat(pa.kind) FROM patient_alert pa
       WHERE pa.patient_id = r.patient_id AND pa.deleted = 0) AS alert_kinds,
    (SELECT ph.e164 FROM patient_phone ph WHERE ph.patient_id = r.patient_id AND ph.deleted = 0
       ORDER BY ph.preferred DESC, ph.created_at LIMIT 1) AS phone,
    (${nextBooking(now)}) AS booked
  FROM recall r LEFT JOIN patient p ON p.id = r.patient_id`;

export async function listRecalls(
  ctx: ServiceContext,
  until: string,
  includeBooked: boolean,
  limit: number,
): Promise<RecallView[]> {
  const now = ctx.writer.now().getTime();
  const rows = await sql<RecallRow>`${recallSelect(now)}
    WHERE r.status = 'active' AND r.deleted = 0 AND r.due_date <= ${until}
      AND p.deleted = 0 AND p.status = 'active'
      ${includeBooked ? sql`` : sql`AND NOT EXISTS (${nextBooking(now)})`}
    ORDER BY r.due_date, r.id
    LIMIT ${limit}`.execute(ctx.db);
  return rows.rows.map(toView);
}

export async function patientRecalls(
  ctx: ServiceContext,
  patientId: string,
): Promise<RecallView[]> {
  const now = ctx.writer.now().getTime();
  const rows = await sql<RecallRow>`${recallSelect(now)}
    WHERE r.patient_id = ${patientId} AND r.deleted = 0
    ORDER BY r.status, r.due_date, r.id`.execute(ctx.db);
  return rows.rows.map(toView);
}

async function recallById(db: Executor, ctx: ServiceContext, id: string): Promise<RecallView> {
  const rows = await sql<RecallRow>`${recallSelect(ctx.writer.now().getTime())}
    WHERE r.id = ${id} AND r.deleted = 0`.execute(db);
  const row = rows.rows[0];
  if (!row) throw notFound('The recall');
  return toView(row);
}

async function lastVisit(db: Executor, patientId: string, typeId: string): Promise<number | null> {
  const row = await db
    .selectFrom('appointment')
    .select('starts_at')
    .where('patient_id', '=', patientId)
    .where('type_id', '=', typeId)
    .where('status', '=', 'completed')
    .where('deleted', '=', 0)
    .orderBy('starts_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.starts_at ?? null;
}

export async function setRecall(
  ctx: ServiceContext,
  input: {
    patientId: string;
    typeId: string;
    intervalMonths: number;
    dueDate?: string | undefined;
    notes: string | null;
  },
): Promise<RecallView> {
  const id = await ctx.db.transaction().execute(async (tx) => {
    const patient = await tx
      .selectFrom('patient')
      .select('id')
      .where('id', '=', input.patientId)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (!patient) {
      throw new AppError('VALIDATION', 'The patient was not found.', [
        { path: 'patientId', message: 'The patient was not found' },
      ]);
    }
    const { setup } = await loadSetup(ctx, tx);
    if (!setup.appointmentTypes.some((t) => t.id === input.typeId)) {
      throw new AppError('VALIDATION', 'Some details need attention.', [
        { path: 'typeId', message: 'This appointment type is not set up' },
      ]);
    }
    const visit = await lastVisit(tx, input.patientId, input.typeId);
    const lastVisitDate = visit === null ? null : localDateOf(visit, setup.timeZone);
    const today = todayIn(setup.timeZone, ctx.writer.now());
    const dueDate =
      input.dueDate ?? (lastVisitDate ? addMonths(lastVisitDate, input.intervalMonths) : today);
    const values = {
      patient_id: input.patientId,
      type_id: input.typeId,
      interval_months: input.intervalMonths,
      due_date: dueDate,
      last_visit_date: lastVisitDate,
      status: 'active',
      notes: input.notes,
    };
    const existing = await tx
      .selectFrom('recall')
      .select('id')
      .where('patient_id', '=', input.patientId)
      .where('type_id', '=', input.typeId)
      .where('deleted', '=', 0)
      .orderBy('id')
      .executeTakeFirst();
    if (existing) {
      await updateRecord(tx, ctx.writer, 'recall', existing.id, values);
      return existing.id;
    }
    return (await insertRecord(tx, ctx.writer, 'recall', values)).id;
  });
  ctx.emit('schedule.changed', { setup: false });
  return recallById(ctx.db, ctx, id);
}

export async function stopRecall(ctx: ServiceContext, id: string): Promise<RecallView> {
  await ctx.db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('recall')
      .select('id')
      .where('id', '=', id)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (!row) throw notFound('The recall');
    await updateRecord(tx, ctx.writer, 'recall', id, { status: 'stopped' });
  });
  ctx.emit('schedule.changed', { setup: false });
  return recallById(ctx.db, ctx, id);
}

/** A completed visit of the type: the patient is next due one interval after it. */
export async function recordVisit(
  tx: Tx,
  ctx: ServiceContext,
  patientId: string,
  typeId: string,
  date: string,
): Promise<void> {
  const recalls = await tx
    .selectFrom('recall')
    .select(['id', 'interval_months', 'last_visit_date'])
    .where('patient_id', '=', patientId)
    .where('type_id', '=', typeId)
    .where('status', '=', 'active')
    .where('deleted', '=', 0)
    .execute();
  for (const r of recalls) {
    // A visit entered late for an earlier date never moves the recall backwards.
    if (r.last_visit_date && r.last_visit_date > date) continue;
    await updateRecord(tx, ctx.writer, 'recall', r.id, {
      last_visit_date: date,
      due_date: addMonths(date, r.interval_months),
    });
  }
}
