/**
 * Reading appointments for the book, the conflict rules and the free-slot search.
 *
 * Design:
 * - Appointments are found by time with the `appointment_start` index: a row overlaps [from, to)
 *   when it starts before `to` and ends after `from`. None lasts more than 12 hours, and those
 *   over two hours are also in the small `appointment_long` index (migration 0007): so a period
 *   is read from `appointment_start` starting two hours before it (not 12, which for a day was
 *   most of the afternoon before), plus the long ones that started earlier. Never the rest of
 *   history.
 * - The rules get plain `Appointment` values (ids, times, status); the book gets cards, whose
 *   patients' names and alert kinds come from memory (see `bookPatients`).
 * - Acknowledgements are looked up by the conflict ids actually found (usually none), rather
 *   than loaded for a whole period.
 * - The reads behind the book, the conflict inbox and the free-slot search take a `Reader` (see
 *   scheduling-reads.ts): fixed SQL texts, prepared once, lists passed as one JSON array. A
 *   period is read in the order of `appointment_start`, so SQLite reads it in place, unsorted.
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
import type { Reader } from './scheduling-reads';

/** How far before a period an appointment overlapping it can start. */
export const LOOKBACK_MS = MAX_APPOINTMENT_MINUTES * MINUTE_MS;

/** Appointments longer than this are in `appointment_long`; its condition, word for word. */
const LONG_APPOINTMENT_MS = 2 * 60 * MINUTE_MS;
const LONG = `ends_at - starts_at > ${LONG_APPOINTMENT_MS}`;

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

const RULE_COLUMNS = 'id, patient_id, chair_id, provider_id, type_id, starts_at, ends_at, status';
const HOLDS_TIME = `status IN (${HOLDING.map((s) => `'${s}'`).join(', ')})`;

/**
 * The two statements that read the appointments overlapping a period: those starting in it or
 * up to two hours before, from `appointment_start` in its order (no sort), and the long ones
 * starting earlier, from `appointment_long`. Every one of the latter starts before every one of
 * the former, so the two lists joined are in start order.
 */
function overlapping(columns: string, where: string) {
  return {
    long: `SELECT ${columns} FROM appointment INDEXED BY appointment_long
      WHERE ${LONG} AND starts_at >= ? AND starts_at < ? AND ends_at > ? AND ${where}
      ORDER BY starts_at, id`,
    near: `SELECT ${columns} FROM appointment INDEXED BY appointment_start
      WHERE starts_at >= ? AND starts_at < ? AND ends_at > ? AND ${where}
      ORDER BY starts_at, ends_at, status, chair_id, provider_id, patient_id, type_id, id`,
  };
}

async function readOverlapping<R>(
  reader: Reader,
  texts: { long: string; near: string },
  from: number,
  to: number,
): Promise<R[]> {
  const nearFrom = from - LONG_APPOINTMENT_MS;
  const long = await reader.rows<R>(texts.long, [from - LOOKBACK_MS, nearFrom, from]);
  const near = await reader.rows<R>(texts.near, [nearFrom, to, from]);
  return long.length === 0 ? near : [...long, ...near];
}

const HOLDING_BETWEEN = overlapping(RULE_COLUMNS, `deleted = 0 AND ${HOLDS_TIME}`);

/** Appointments that hold time and overlap [from, to), as the rules see them. */
export async function holdingAppointments(
  reader: Reader,
  from: number,
  to: number,
): Promise<Appointment[]> {
  return (await readOverlapping<RuleRow>(reader, HOLDING_BETWEEN, from, to)).map(toRule);
}

const PATIENT_HOLDING = `
  SELECT ${RULE_COLUMNS} FROM appointment
  WHERE patient_id = ? AND starts_at >= ? AND starts_at < ? AND ends_at > ?
    AND deleted = 0 AND ${HOLDS_TIME}
  ORDER BY starts_at, id`;

/** A patient's holding appointments overlapping [from, to). */
export async function patientAppointments(
  reader: Reader,
  patientId: string,
  from: number,
  to: number,
): Promise<Appointment[]> {
  const rows = await reader.rows<RuleRow>(PATIENT_HOLDING, [
    patientId,
    from - LOOKBACK_MS,
    to,
    from,
  ]);
  return rows.map(toRule);
}

const busyOf = (column: 'provider_id' | 'chair_id') => `
  SELECT starts_at AS start, ends_at AS "end" FROM appointment
  WHERE ${column} = ? AND starts_at >= ? AND starts_at < ? AND ends_at > ?
    AND deleted = 0 AND ${HOLDS_TIME}
  ORDER BY starts_at`;
const BUSY = { provider_id: busyOf('provider_id'), chair_id: busyOf('chair_id') };

/**
 * When a provider or a chair is taken over [from, to), from its index alone (no record is
 * read, so months cost little).
 */
export async function busySpans(
  reader: Reader,
  column: 'provider_id' | 'chair_id',
  value: string,
  from: number,
  to: number,
): Promise<Array<{ start: number; end: number }>> {
  return reader.rows(BUSY[column], [value, from - LOOKBACK_MS, to, from]);
}

const ACKNOWLEDGED = `
  SELECT conflict_id FROM conflict_acknowledgement
  WHERE conflict_id IN (SELECT value FROM json_each(?)) AND deleted = 0`;

/** Marks the conflicts that an acknowledgement names. */
export async function markAcknowledged(reader: Reader, conflicts: Conflict[]): Promise<Conflict[]> {
  if (conflicts.length === 0) return conflicts;
  const rows = await reader.rows<{ conflict_id: string }>(ACKNOWLEDGED, [
    JSON.stringify(conflicts.map((c) => c.id)),
  ]);
  const accepted = new Set(rows.map((r) => r.conflict_id));
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

const ALL_PATIENT_CARDS = `
  SELECT p.id AS patient_id, p.chart_number, p.given_names, p.family_name, p.preferred_name,
    p.deleted AS patient_deleted,
    (SELECT group_concat(pa.kind) FROM patient_alert pa
       WHERE pa.patient_id = p.id AND pa.deleted = 0) AS alert_kinds
  FROM patient p INDEXED BY patient_book`;
const PATIENT_CARDS_OF = `${ALL_PATIENT_CARDS}
  WHERE p.id IN (SELECT value FROM json_each(?))`;
const PATIENTS_VERSION = `SELECT version FROM scheduling_version WHERE name = 'patients'`;
const PATIENTS_CHANGED = 'SELECT patient_id FROM scheduling_patient_change WHERE version > ?';

/**
 * What cards show of these patients (names, chart number, alert kinds), from memory. The first
 * call for a store loads every patient (about 150 bytes each: a clinic's 100,000 take a fraction
 * of a second and some 20 MB), so a day or a week of the book reads no patient records; after
 * that, the patients whose record or alerts changed (noted by triggers, whoever wrote) are read
 * again.
 */
async function bookPatients(
  reader: Reader,
  cacheKey: object,
): Promise<Map<string, BookPatient | null>> {
  // Inside someone's transaction what is read may yet be rolled back: only the patients of
  // the cards are read (see fillPatients), into a map of their own.
  if (!reader.committed) return new Map();
  const version = (await reader.rows<{ version: number }>(PATIENTS_VERSION))[0]?.version ?? -1;
  let cache = patientCaches.get(cacheKey);
  if (!cache || version < cache.version) {
    cache = { version, patients: new Map() };
    for (const r of await reader.rows<PatientCardRow>(ALL_PATIENT_CARDS))
      cache.patients.set(r.patient_id, bookPatient(r));
    patientCaches.set(cacheKey, cache);
  } else if (version > cache.version) {
    const changed = await reader.rows<{ patient_id: string }>(PATIENTS_CHANGED, [cache.version]);
    for (const c of changed) cache.patients.delete(c.patient_id);
    cache.version = version;
  }
  return cache.patients;
}

/** Reads patients the cache does not hold yet (new since it was filled, or just changed). */
async function fillPatients(
  reader: Reader,
  patients: Map<string, BookPatient | null>,
  ids: readonly string[],
): Promise<void> {
  const missing = [...new Set(ids)];
  for (const id of missing) patients.set(id, null);
  const rows = await reader.rows<PatientCardRow>(PATIENT_CARDS_OF, [JSON.stringify(missing)]);
  for (const r of rows) patients.set(r.patient_id, bookPatient(r));
}

interface IndexedCardRow extends RuleRow {
  late_cancellation: number | null;
  has_notes: number;
}

const CARDS_BETWEEN = overlapping(
  `${RULE_COLUMNS}, late_cancellation, notes IS NOT NULL AS has_notes`,
  'deleted = 0',
);

/**
 * Every appointment overlapping [from, to), whatever its status, as cards, by start. Read from
 * the `appointment_start` index alone (and the rows of the rare long ones before the period):
 * notes and cancellation details are left for the detail view (see `BookAppointment`).
 */
export async function cardsBetween(
  reader: Reader,
  cacheKey: object,
  from: number,
  to: number,
): Promise<BookAppointment[]> {
  const rows = await readOverlapping<IndexedCardRow>(reader, CARDS_BETWEEN, from, to);
  const patients = await bookPatients(reader, cacheKey);
  const out: BookAppointment[] = new Array<BookAppointment>(rows.length);
  const unknown: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
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
      reader,
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
