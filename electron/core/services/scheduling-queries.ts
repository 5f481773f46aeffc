/**
 * Reading appointments for the book, the conflict rules and the free-slot search.
 *
 * Design:
 * - Appointments are found by time with the `appointment_start` index: a row overlaps [from, to)
 *   when it starts before `to` and ends after `from`; since none lasts more than 12 hours, the
 *   scan starts at `from - 12h` and never reads the rest of history.
 * - The rules get plain `Appointment` values (ids, times, status); the book gets cards with the
 *   patient's names and alert kinds in the same query, so a day costs one round trip.
 * - Acknowledgements are looked up by the conflict ids actually found (usually none), rather
 *   than loaded for a whole period.
 */
import { sql } from 'kysely';
import type { AlertKind } from '../../../shared/domain/patient';
import { ALERT_KINDS } from '../../../shared/domain/patient';
import type { BookAppointment, BookPatient } from '../../../shared/ipc/scheduling';
import {
  APPOINTMENT_STATUSES,
  MAX_APPOINTMENT_MINUTES,
  MINUTE_MS,
} from '../../../shared/scheduling';
import type { Appointment, AppointmentStatus, Conflict } from '../../../shared/scheduling';
import type { Executor } from '../db/kysely';

/** How far before a period an appointment overlapping it can start. */
export const LOOKBACK_MS = MAX_APPOINTMENT_MINUTES * MINUTE_MS;

/** Statuses that hold the chair, the provider and the patient's time, for SQL. */
export const HOLDING = ['booked', 'confirmed', 'arrived', 'in_chair', 'completed'] as const;

const STATUSES: ReadonlySet<string> = new Set(APPOINTMENT_STATUSES);
// An unknown status (from a newer version on another workstation) holds time, to be safe.
const statusOf = (s: string): AppointmentStatus =>
  STATUSES.has(s) ? (s as AppointmentStatus) : 'booked';

const alertKindsOf = (csv: string | null): AlertKind[] =>
  csv
    ? [...new Set(csv.split(','))]
        .filter((k): k is AlertKind => (ALERT_KINDS as readonly string[]).includes(k))
        .sort()
    : [];

interface RuleRow {
  id: string;
  patient_id: string;
  chair_id: string;
  provider_id: string;
  type_id: string;
  starts_at: number;
  ends_at: number;
  status: string;
}

const toRule = (r: RuleRow): Appointment => ({
  id: r.id,
  patientId: r.patient_id,
  chairId: r.chair_id,
  providerId: r.provider_id,
  typeId: r.type_id,
  start: r.starts_at,
  end: r.ends_at,
  status: statusOf(r.status),
});

/** Appointments that hold time and overlap [from, to), as the rules see them. */
export async function holdingAppointments(
  db: Executor,
  from: number,
  to: number,
): Promise<Appointment[]> {
  const rows = await sql<RuleRow>`
    SELECT id, patient_id, chair_id, provider_id, type_id, starts_at, ends_at, status
    FROM appointment
    WHERE starts_at >= ${from - LOOKBACK_MS} AND starts_at < ${to} AND ends_at > ${from}
      AND deleted = 0 AND status IN ('booked', 'confirmed', 'arrived', 'in_chair', 'completed')
    ORDER BY starts_at, id`.execute(db);
  return rows.rows.map(toRule);
}

/** A patient's holding appointments overlapping [from, to). */
export async function patientAppointments(
  db: Executor,
  patientId: string,
  from: number,
  to: number,
): Promise<Appointment[]> {
  const rows = await sql<RuleRow>`
    SELECT id, patient_id, chair_id, provider_id, type_id, starts_at, ends_at, status
    FROM appointment
    WHERE patient_id = ${patientId}
      AND starts_at >= ${from - LOOKBACK_MS} AND starts_at < ${to} AND ends_at > ${from}
      AND deleted = 0 AND status IN ('booked', 'confirmed', 'arrived', 'in_chair', 'completed')
    ORDER BY starts_at, id`.execute(db);
  return rows.rows.map(toRule);
}

/**
 * When a provider or a chair is taken over [from, to), from its index alone (no record is
 * read, so months cost little).
 */
export async function busySpans(
  db: Executor,
  column: 'provider_id' | 'chair_id',
  value: string,
  from: number,
  to: number,
): Promise<Array<{ start: number; end: number }>> {
  const rows = await sql<{ start: number; end: number }>`
    SELECT starts_at AS start, ends_at AS "end"
    FROM appointment
    WHERE ${sql.ref(column)} = ${value}
      AND starts_at >= ${from - LOOKBACK_MS} AND starts_at < ${to} AND ends_at > ${from}
      AND deleted = 0 AND status IN ('booked', 'confirmed', 'arrived', 'in_chair', 'completed')
    ORDER BY starts_at`.execute(db);
  return rows.rows;
}

/** Marks the conflicts that an acknowledgement names. */
export async function markAcknowledged(db: Executor, conflicts: Conflict[]): Promise<Conflict[]> {
  if (conflicts.length === 0) return conflicts;
  const accepted = new Set<string>();
  // Bounded batches keep the statement under SQLite's variable limit on busy periods.
  for (let i = 0; i < conflicts.length; i += 500) {
    const ids = conflicts.slice(i, i + 500).map((c) => c.id);
    const rows = await db
      .selectFrom('conflict_acknowledgement')
      .select('conflict_id')
      .where('conflict_id', 'in', ids)
      .where('deleted', '=', 0)
      .execute();
    for (const r of rows) accepted.add(r.conflict_id);
  }
  return conflicts.map((c) => (accepted.has(c.id) ? { ...c, acknowledged: true } : c));
}

/** Live acknowledgements naming an appointment. */
export async function acknowledgementsOf(
  db: Executor,
  appointmentId: string,
): Promise<Array<{ id: string; conflict_id: string }>> {
  return db
    .selectFrom('conflict_acknowledgement')
    .select(['id', 'conflict_id'])
    .where('deleted', '=', 0)
    .where((eb) =>
      eb.or([
        eb('appointment_id', '=', appointmentId),
        eb('other_appointment_id', '=', appointmentId),
      ]),
    )
    .execute();
}

interface CardRow extends RuleRow {
  notes: string | null;
  cancel_reason: string | null;
  cancelled_by: string | null;
  late_cancellation: number | null;
  chart_number: string | null;
  given_names: string | null;
  family_name: string | null;
  preferred_name: string | null;
  patient_deleted: number | null;
  alert_kinds: string | null;
}

const CARD_SELECT = sql`
  SELECT a.id, a.patient_id, a.chair_id, a.provider_id, a.type_id, a.starts_at, a.ends_at,
    a.status, a.notes, a.cancel_reason, a.cancelled_by, a.late_cancellation,
    p.chart_number, p.given_names, p.family_name, p.preferred_name, p.deleted AS patient_deleted,
    (SELECT group_concat(pa.kind) FROM patient_alert pa
       WHERE pa.patient_id = a.patient_id AND pa.deleted = 0) AS alert_kinds
  FROM appointment a LEFT JOIN patient p INDEXED BY patient_book ON p.id = a.patient_id`;

function bookPatient(r: {
  patient_id: string;
  chart_number: string | null;
  given_names: string | null;
  family_name: string | null;
  preferred_name: string | null;
  patient_deleted: number | null;
  alert_kinds: string | null;
}): BookPatient | null {
  return r.given_names !== null && r.family_name !== null && r.patient_deleted === 0
    ? {
        id: r.patient_id,
        chartNumber: r.chart_number ?? '',
        givenNames: r.given_names,
        familyName: r.family_name,
        preferredName: r.preferred_name,
        alertKinds: alertKindsOf(r.alert_kinds),
      }
    : null;
}

const cancelledByOf = (v: string | null) => (v === 'patient' || v === 'clinic' ? v : null);

export function toCard(r: CardRow): BookAppointment {
  return {
    ...toRule(r),
    hasNotes: r.notes !== null,
    notes: r.notes,
    cancelReason: r.cancel_reason,
    cancelledBy: cancelledByOf(r.cancelled_by),
    lateCancellation: r.late_cancellation === null ? null : r.late_cancellation === 1,
    patient: bookPatient(r),
  };
}

// ---------------------------------------------------------------------------------------------
// The book's cards: appointments from the covering index, patients from memory

interface PatientCache {
  version: number;
  patients: Map<string, BookPatient | null>;
}

/** Per open store; dropped with it when the session ends. */
const patientCaches = new WeakMap<object, PatientCache>();

interface PatientCardRow {
  patient_id: string;
  chart_number: string;
  given_names: string;
  family_name: string;
  preferred_name: string | null;
  patient_deleted: number;
  alert_kinds: string | null;
}

async function readPatientCards(db: Executor, ids: readonly string[] | null) {
  const rows = await sql<PatientCardRow>`
    SELECT p.id AS patient_id, p.chart_number, p.given_names, p.family_name, p.preferred_name,
      p.deleted AS patient_deleted,
      (SELECT group_concat(pa.kind) FROM patient_alert pa
         WHERE pa.patient_id = p.id AND pa.deleted = 0) AS alert_kinds
    FROM patient p INDEXED BY patient_book
    ${ids ? sql`WHERE p.id IN (${sql.join(ids)})` : sql``}`.execute(db);
  return rows.rows;
}

/**
 * What cards show of these patients (names, chart number, alert kinds), from memory. The first
 * call for a store loads every patient (about 150 bytes each: a clinic's 100,000 take a fraction
 * of a second and some 20 MB), so a day or a week of the book reads no patient records; after
 * that, the patients whose record or alerts changed (noted by triggers, whoever wrote) are read
 * again.
 */
async function bookPatients(
  db: Executor,
  cacheKey: object,
): Promise<Map<string, BookPatient | null>> {
  const version =
    (
      await db
        .selectFrom('scheduling_version')
        .select('version')
        .where('name', '=', 'patients')
        .executeTakeFirst()
    )?.version ?? -1;
  let cache = patientCaches.get(cacheKey);
  if (!cache || version < cache.version) {
    cache = { version, patients: new Map() };
    for (const r of await readPatientCards(db, null))
      cache.patients.set(r.patient_id, bookPatient(r));
    patientCaches.set(cacheKey, cache);
  } else if (version > cache.version) {
    const changed = await db
      .selectFrom('scheduling_patient_change')
      .select('patient_id')
      .where('version', '>', cache.version)
      .execute();
    for (const c of changed) cache.patients.delete(c.patient_id);
    cache.version = version;
  }
  return cache.patients;
}

/** Reads patients the cache does not hold yet (new since it was filled, or just changed). */
async function fillPatients(
  db: Executor,
  patients: Map<string, BookPatient | null>,
  ids: readonly string[],
): Promise<void> {
  const missing = [...new Set(ids)];
  for (let i = 0; i < missing.length; i += 500) {
    const batch = missing.slice(i, i + 500);
    for (const id of batch) patients.set(id, null);
    for (const r of await readPatientCards(db, batch)) patients.set(r.patient_id, bookPatient(r));
  }
}

interface IndexedCardRow extends RuleRow {
  late_cancellation: number | null;
  has_notes: number;
}

/**
 * Every appointment overlapping [from, to), whatever its status, as cards, by start. Read from
 * the `appointment_start` index alone: notes and cancellation details are left for the detail
 * view (see `BookAppointment`).
 */
export async function cardsBetween(
  db: Executor,
  cacheKey: object,
  from: number,
  to: number,
): Promise<BookAppointment[]> {
  // Ordered as the index is, so SQLite reads it in place without sorting.
  const rows = await sql<IndexedCardRow>`
    SELECT id, patient_id, chair_id, provider_id, type_id, starts_at, ends_at, status,
      late_cancellation, notes IS NOT NULL AS has_notes
    FROM appointment
    WHERE starts_at >= ${from - LOOKBACK_MS} AND starts_at < ${to} AND ends_at > ${from}
      AND deleted = 0
    ORDER BY starts_at, ends_at, status, chair_id, provider_id, patient_id, type_id, id`.execute(
    db,
  );
  const patients = await bookPatients(db, cacheKey);
  const out: BookAppointment[] = new Array<BookAppointment>(rows.rows.length);
  const unknown: number[] = [];
  for (let i = 0; i < rows.rows.length; i++) {
    const r = rows.rows[i]!;
    const patient = patients.get(r.patient_id);
    if (patient === undefined) unknown.push(i);
    out[i] = {
      id: r.id,
      patientId: r.patient_id,
      chairId: r.chair_id,
      providerId: r.provider_id,
      typeId: r.type_id,
      start: r.starts_at,
      end: r.ends_at,
      status: statusOf(r.status),
      hasNotes: r.has_notes === 1,
      notes: null,
      cancelReason: null,
      cancelledBy: null,
      lateCancellation: r.late_cancellation === null ? null : r.late_cancellation === 1,
      patient: patient ?? null,
    };
  }
  if (unknown.length > 0) {
    await fillPatients(
      db,
      patients,
      unknown.map((i) => out[i]!.patientId),
    );
    for (const i of unknown) out[i]!.patient = patients.get(out[i]!.patientId) ?? null;
  }
  return out;
}

export async function cardsByIds(db: Executor, ids: readonly string[]): Promise<BookAppointment[]> {
  const out: BookAppointment[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const batch = ids.slice(i, i + 500);
    if (batch.length === 0) continue;
    const rows = await sql<CardRow>`${CARD_SELECT}
      WHERE a.id IN (${sql.join(batch)}) AND a.deleted = 0`.execute(db);
    out.push(...rows.rows.map(toCard));
  }
  return out.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function cardById(db: Executor, id: string): Promise<BookAppointment | undefined> {
  return (await cardsByIds(db, [id]))[0];
}

/** A patient's appointments on one side of `now`: upcoming soonest first, past latest first. */
export async function patientCards(
  db: Executor,
  patientId: string,
  now: number,
  side: 'upcoming' | 'past',
  limit: number,
): Promise<BookAppointment[]> {
  const rows =
    side === 'upcoming'
      ? await sql<CardRow>`${CARD_SELECT}
          WHERE a.patient_id = ${patientId} AND a.ends_at > ${now} AND a.deleted = 0
          ORDER BY a.starts_at, a.id LIMIT ${limit}`.execute(db)
      : await sql<CardRow>`${CARD_SELECT}
          WHERE a.patient_id = ${patientId} AND a.ends_at <= ${now} AND a.deleted = 0
          ORDER BY a.starts_at DESC, a.id DESC LIMIT ${limit}`.execute(db);
  return rows.rows.map(toCard);
}
