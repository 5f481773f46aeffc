import type BetterSqlite3 from 'better-sqlite3-multiple-ciphers';
import { CompiledQuery, sql } from 'kysely';
import { ageOn, todayIn } from '../../../shared/dates';
import { AppError, type FieldIssue } from '../../../shared/errors';
import type { HybridLogicalClock } from '../../../shared/hlc';
import type {
  AlertKind,
  DuplicateCandidate,
  FieldChange,
  Patient,
  PatientData,
  PatientPage,
  PatientPatch,
  PatientSearchResult,
  PatientSummary,
} from '../../../shared/domain/patient';
import { parsePhone, phoneSearchKeys } from '../../../shared/phone';
import { parsePatientQuery } from '../../../shared/search';
import { foldText, tokenize } from '../../../shared/text';
import {
  deleteRecord,
  insertRecord,
  updateRecord,
  type BulkChain,
  type BulkRecorder,
  type BulkValue,
  type PreparedEvents,
  type ReplicatedTable,
} from '../db/changes';
import type { Executor, Tx } from '../db/kysely';
import type { SqliteDatabase } from '../db/store';
import { notFound } from '../errors';
import type { ServiceContext } from './context';
import type { PatientRow } from '../db/tables/patient';
import type { PatientAlertRow } from '../db/tables/patient-alert';
import type { PatientDocumentRow } from '../db/tables/patient-document';
import type { PatientInsuranceRow } from '../db/tables/patient-insurance';
import type { PatientPhoneRow } from '../db/tables/patient-phone';
import { toPatient, toSummary, type SummaryRow } from './patient-mapping';

const SUMMARY_COLUMNS = [
  'id',
  'chart_number',
  'given_names',
  'family_name',
  'preferred_name',
  'date_of_birth',
  'status',
  'name_key',
] as const;

const nameKey = (family: string, given: string, fold: (s: string) => string = foldText) =>
  `${fold(family)}\u0001${fold(given)}`;

// ---------------------------------------------------------------------------------------------
// Reading

type Statement = BetterSqlite3.Statement<unknown[]>;

/** Runs one read statement (SQL text with `?` parameters) and returns its rows. */
type ReadRows = <R>(text: string, params: readonly unknown[]) => Promise<R[]>;

/** Per connection, the statements of the texts below: a fixed set, prepared on first use. */
const preparedReads = new WeakMap<SqliteDatabase, Map<string, Statement>>();

function preparedRead(sqlite: SqliteDatabase, text: string): Statement {
  let cache = preparedReads.get(sqlite);
  if (!cache) {
    cache = new Map();
    preparedReads.set(sqlite, cache);
  }
  let statement = cache.get(text);
  if (!statement) {
    statement = sqlite.prepare(text);
    cache.set(text, statement);
  }
  return statement;
}

/** Runs the statements through Kysely: inside `db`'s transaction when `db` is one. */
function kyselyRows(db: Executor): ReadRows {
  return async <R>(text: string, params: readonly unknown[]) =>
    (await db.executeQuery<R>(CompiledQuery.raw(text, [...params]))).rows;
}

/**
 * Runs a read of a few statements. Type-ahead sends one per keystroke and a record opens in one
 * click; building, compiling and preparing each statement through Kysely cost more than running
 * it. With the raw handle (Core's contexts have it) the statements are prepared once per
 * connection and run under Kysely's connection lock, so none of them runs inside a transaction
 * another command has open; without it the same SQL goes through Kysely.
 */
async function reading<T>(ctx: ServiceContext, read: (rows: ReadRows) => Promise<T>): Promise<T> {
  const sqlite = ctx.sqlite;
  if (!sqlite) return read(kyselyRows(ctx.db));
  return ctx.db
    .connection()
    .execute(() =>
      read(
        async <R>(text: string, params: readonly unknown[]) =>
          preparedRead(sqlite, text).all(...params) as R[],
      ),
    );
}

const PATIENT_BY_ID = 'SELECT * FROM patient WHERE id = ? AND deleted = 0';
const PHONES_OF =
  'SELECT * FROM patient_phone WHERE patient_id = ? AND deleted = 0 ORDER BY created_at';
const DOCUMENTS_OF =
  'SELECT * FROM patient_document WHERE patient_id = ? AND deleted = 0 ORDER BY created_at';
const INSURANCE_OF =
  'SELECT * FROM patient_insurance WHERE patient_id = ? AND deleted = 0 ORDER BY created_at';
const ALERTS_OF =
  'SELECT * FROM patient_alert WHERE patient_id = ? AND deleted = 0 ORDER BY created_at';
const GUARDIAN_NAMES = 'SELECT given_names, family_name FROM patient WHERE id = ?';

async function readPatient(rows: ReadRows, ctx: ServiceContext, id: string): Promise<Patient> {
  const [patient] = await rows<PatientRow>(PATIENT_BY_ID, [id]);
  if (!patient) throw notFound('The patient');
  const phones = await rows<PatientPhoneRow>(PHONES_OF, [id]);
  const documents = await rows<PatientDocumentRow>(DOCUMENTS_OF, [id]);
  const insurance = await rows<PatientInsuranceRow>(INSURANCE_OF, [id]);
  const alerts = await rows<PatientAlertRow>(ALERTS_OF, [id]);
  const [guardian] = patient.guardian_patient_id
    ? await rows<{ given_names: string; family_name: string }>(GUARDIAN_NAMES, [
        patient.guardian_patient_id,
      ])
    : [];
  return toPatient(
    {
      patient,
      phones,
      documents,
      insurance,
      alerts,
      guardianDisplayName: guardian ? `${guardian.family_name}, ${guardian.given_names}` : null,
    },
    todayIn(ctx.clinic.timeZone, ctx.writer.now()),
    ctx.clinic.ageOfConsent,
  );
}

/** Inside a write's transaction (`db` is then the transaction). */
function loadPatient(db: Executor, ctx: ServiceContext, id: string): Promise<Patient> {
  return readPatient(kyselyRows(db), ctx, id);
}

export function getPatient(ctx: ServiceContext, id: string): Promise<Patient> {
  return reading(ctx, (rows) => readPatient(rows, ctx, id));
}

const byName = (a: SummaryRow, b: SummaryRow) =>
  a.name_key < b.name_key ? -1 : a.name_key > b.name_key ? 1 : a.id < b.id ? -1 : 1;

// The preferred phone first; among equals, the first in the record's order (as `getPatient` lists
// them). Ids go in as one JSON array, so each statement has a single text whatever the count.
const PREFERRED_PHONES_OF = `SELECT patient_id, e164 FROM patient_phone
  WHERE patient_id IN (SELECT value FROM json_each(?)) AND deleted = 0
  ORDER BY preferred DESC, created_at, rowid`;
const ALERT_KINDS_OF = `SELECT DISTINCT patient_id, kind FROM patient_alert
  WHERE patient_id IN (SELECT value FROM json_each(?)) AND deleted = 0`;

/** Summaries for a set of rows, with preferred phone and alert kinds, in name order. */
async function summaries(rows: ReadRows, list: readonly SummaryRow[]): Promise<PatientSummary[]> {
  if (list.length === 0) return [];
  const ids = JSON.stringify(list.map((r) => r.id));
  const phones = await rows<{ patient_id: string; e164: string }>(PREFERRED_PHONES_OF, [ids]);
  const alerts = await rows<{ patient_id: string; kind: AlertKind }>(ALERT_KINDS_OF, [ids]);
  const phoneBy = new Map<string, string>();
  for (const p of phones) if (!phoneBy.has(p.patient_id)) phoneBy.set(p.patient_id, p.e164);
  const alertsBy = new Map<string, AlertKind[]>();
  for (const a of alerts) {
    const kinds = alertsBy.get(a.patient_id);
    if (kinds) kinds.push(a.kind);
    else alertsBy.set(a.patient_id, [a.kind]);
  }
  return [...list]
    .sort(byName)
    .map((r) => toSummary(r, phoneBy.get(r.id) ?? null, (alertsBy.get(r.id) ?? []).sort()));
}

function summariesOf(ctx: ServiceContext, list: readonly SummaryRow[]): Promise<PatientSummary[]> {
  return list.length === 0 ? Promise.resolve([]) : reading(ctx, (rows) => summaries(rows, list));
}

async function rowsByIds(db: Executor, ids: string[]): Promise<SummaryRow[]> {
  if (ids.length === 0) return [];
  // `+deleted` keeps the planner on the primary key: without statistics it would otherwise walk
  // the (deleted, status, ...) index, every patient, believing `deleted = 0` selective.
  return db
    .selectFrom('patient')
    .select(SUMMARY_COLUMNS)
    .where('id', 'in', ids)
    .where(sql<number>`+deleted`, '=', 0)
    .execute();
}

const SUMMARY_SELECT = SUMMARY_COLUMNS.map((c) => `p.${c}`).join(', ');
const BY_CHART_NUMBER = `SELECT ${SUMMARY_SELECT} FROM patient p
  WHERE p.chart_number = ? COLLATE NOCASE AND p.deleted = 0`;
const BY_BIRTH_DATE = `SELECT ${SUMMARY_SELECT} FROM patient p
  WHERE p.date_of_birth = ? AND p.deleted = 0 ORDER BY p.name_key LIMIT ?`;
// One statement from index hit to patient row (deleted patients have no search row).
const BY_SEARCH_INDEX = `SELECT ${SUMMARY_SELECT} FROM patient_search s
  JOIN patient_search_key k ON k.key = s.rowid
  JOIN patient p ON p.id = k.patient_id
  WHERE patient_search MATCH ? AND +p.deleted = 0 LIMIT ?`;

/**
 * Type-ahead. Name tokens match as prefixes in any order (folded like the FTS5 tokenizer); digits
 * match phones in any format and chart numbers; a typed date matches dates of birth. The FTS query
 * stops at `limit + 1` matches, so a one-letter query costs no more than a full name; only the
 * `limit` shown get their phone and alert badges.
 */
export async function searchPatients(
  ctx: ServiceContext,
  query: string,
  limit: number,
): Promise<PatientSearchResult> {
  const q = parsePatientQuery(query, ctx.clinic.locale);
  if (q.kind === 'empty') return { items: [], more: false };
  const take = limit + 1;
  return reading(ctx, async (rows) => {
    const found = new Map<string, SummaryRow>();
    const add = (list: SummaryRow[]) => {
      for (const r of list) if (found.size < take && !found.has(r.id)) found.set(r.id, r);
    };
    if (q.chart) add(await rows<SummaryRow>(BY_CHART_NUMBER, [q.chart]));
    if (q.kind === 'date') add(await rows<SummaryRow>(BY_BIRTH_DATE, [q.date, take]));
    if (q.kind === 'phone' || (q.kind === 'name' && q.tokens.length > 0)) {
      const match =
        q.kind === 'phone'
          ? `phones : "${q.digits}"*`
          : q.tokens.map((t) => `names : "${t}"*`).join(' AND ');
      add(await rows<SummaryRow>(BY_SEARCH_INDEX, [match, take]));
    }
    const hits = [...found.values()].sort(byName);
    return { items: await summaries(rows, hits.slice(0, limit)), more: hits.length > limit };
  });
}

/** A page of the patient list in name order, for the virtualised list. */
export async function listPatients(
  ctx: ServiceContext,
  offset: number,
  limit: number,
  includeArchived: boolean,
): Promise<PatientPage> {
  let base = ctx.db.selectFrom('patient').where('deleted', '=', 0);
  if (!includeArchived) base = base.where('status', '!=', 'archived');
  const [{ total }, rows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    base
      .select(SUMMARY_COLUMNS)
      .orderBy('name_key')
      .orderBy('id')
      .limit(limit)
      .offset(offset)
      .execute(),
  ]);
  return { total: Number(total), offset, items: await summariesOf(ctx, rows) };
}

export async function findDuplicates(
  ctx: ServiceContext,
  probe: {
    givenNames?: string | null;
    familyName?: string | null;
    dateOfBirth?: string | null;
    phones: string[];
    email?: string | null;
    excludeId?: string;
  },
): Promise<DuplicateCandidate[]> {
  const db = ctx.db;
  const reasons = new Map<string, Set<DuplicateCandidate['reasons'][number]>>();
  const note = (id: string, reason: DuplicateCandidate['reasons'][number]) => {
    if (id === probe.excludeId) return;
    const set = reasons.get(id) ?? new Set();
    set.add(reason);
    reasons.set(id, set);
  };
  if (probe.givenNames && probe.familyName && probe.dateOfBirth) {
    const key = nameKey(probe.familyName, probe.givenNames);
    const rows = await db
      .selectFrom('patient')
      .select(['id', 'name_key'])
      .where('date_of_birth', '=', probe.dateOfBirth)
      .where('deleted', '=', 0)
      .execute();
    for (const r of rows) if (r.name_key === key) note(r.id, 'name_and_birth_date');
  }
  const e164s = probe.phones
    .map((p) => parsePhone(p, ctx.clinic.country)?.e164)
    .filter((p): p is string => !!p);
  if (e164s.length > 0) {
    const rows = await db
      .selectFrom('patient_phone')
      .select('patient_id')
      .where('e164', 'in', e164s)
      .where('deleted', '=', 0)
      .execute();
    for (const r of rows) note(r.patient_id, 'phone');
  }
  const email = probe.email?.trim().toLowerCase();
  if (email) {
    const rows = await db
      .selectFrom('patient')
      .select('id')
      .where('email', '=', email)
      .where('deleted', '=', 0)
      .execute();
    for (const r of rows) note(r.id, 'email');
  }
  const ids = [...reasons.keys()].slice(0, 20);
  const items = await summariesOf(ctx, await rowsByIds(db, ids));
  return items.map((patient) => ({
    patient,
    reasons: [...(reasons.get(patient.id) ?? [])].sort(),
  }));
}

// ---------------------------------------------------------------------------------------------
// Writing

type Columns = Record<string, string | number | null>;

function patientColumns(d: PatientData, fold: (s: string) => string = foldText): Columns {
  return {
    title: d.title,
    given_names: d.givenNames,
    family_name: d.familyName,
    patronymic: d.patronymic,
    preferred_name: d.preferredName,
    date_of_birth: d.dateOfBirth,
    sex: d.sex,
    gender: d.gender,
    email: d.email ?? null,
    address_line1: d.address.line1,
    address_line2: d.address.line2,
    address_city: d.address.city,
    address_region: d.address.region,
    address_postal_code: d.address.postalCode,
    address_country: d.address.country ?? null,
    preferred_language: d.preferredLanguage,
    preferred_channel: d.preferredChannel ?? null,
    emergency_name: d.emergencyContact?.name ?? null,
    emergency_relationship: d.emergencyContact?.relationship ?? null,
    emergency_phone: d.emergencyContact?.phone ?? null,
    guardian_patient_id: d.guardian?.kind === 'patient' ? d.guardian.patientId : null,
    guardian_name: d.guardian?.kind === 'contact' ? d.guardian.name : null,
    guardian_relationship: d.guardian?.relationship ?? null,
    guardian_phone: d.guardian?.kind === 'contact' ? d.guardian.phone : null,
    notes: d.notes,
    status: d.status,
    name_key: nameKey(d.familyName, d.givenNames, fold),
  };
}

/** Checks the rules that need the clinic or the store; collects every problem before failing. */
async function validate(
  tx: Tx,
  ctx: ServiceContext,
  d: PatientData,
  selfId: string | null,
): Promise<{ phones: string[]; emergencyPhone: string | null; guardianPhone: string | null }> {
  const issues: FieldIssue[] = [];
  const country = ctx.clinic.country;
  const today = todayIn(ctx.clinic.timeZone, ctx.writer.now());
  if (d.dateOfBirth > today)
    issues.push({ path: 'dateOfBirth', message: 'The date of birth is in the future' });
  if (d.dateOfBirth < '1890-01-01')
    issues.push({ path: 'dateOfBirth', message: 'The date of birth is too far in the past' });
  const phones = d.phones.map((p, i) => {
    const parsed = parsePhone(p.number, country);
    if (!parsed)
      issues.push({
        path: `phones.${i}.number`,
        message: `Not a valid phone number (numbers without a country code are read as ${country})`,
      });
    return parsed?.e164 ?? '';
  });
  if (new Set(phones).size !== phones.length)
    issues.push({ path: 'phones', message: 'The same phone number is listed twice' });
  if (d.phones.filter((p) => p.preferred).length > 1)
    issues.push({ path: 'phones', message: 'Only one phone can be preferred' });
  const emergencyPhone = d.emergencyContact
    ? (parsePhone(d.emergencyContact.phone, country)?.e164 ?? null)
    : null;
  if (d.emergencyContact && !emergencyPhone)
    issues.push({ path: 'emergencyContact.phone', message: 'Not a valid phone number' });
  const guardianPhone =
    d.guardian?.kind === 'contact' ? (parsePhone(d.guardian.phone, country)?.e164 ?? null) : null;
  if (d.guardian?.kind === 'contact' && !guardianPhone)
    issues.push({ path: 'guardian.phone', message: 'Not a valid phone number' });
  if (
    d.dateOfBirth <= today &&
    ageOn(d.dateOfBirth, today) < ctx.clinic.ageOfConsent &&
    !d.guardian &&
    d.status !== 'deceased'
  ) {
    issues.push({
      path: 'guardian',
      message: `Patients under ${ctx.clinic.ageOfConsent} need a guardian`,
    });
  }
  if (d.guardian?.kind === 'patient') {
    if (d.guardian.patientId === selfId)
      issues.push({
        path: 'guardian.patientId',
        message: 'A patient cannot be their own guardian',
      });
    else {
      const g = await tx
        .selectFrom('patient')
        .select('id')
        .where('id', '=', d.guardian.patientId)
        .where('deleted', '=', 0)
        .executeTakeFirst();
      if (!g) issues.push({ path: 'guardian.patientId', message: 'The guardian was not found' });
    }
  }
  if (issues.length > 0) throw new AppError('VALIDATION', 'Some details need attention.', issues);
  return { phones, emergencyPhone, guardianPhone };
}

async function assertChartNumberFree(tx: Tx, chart: string, selfId: string | null): Promise<void> {
  const clash = await tx
    .selectFrom('patient')
    .select('id')
    .where(sql<boolean>`chart_number = ${chart} COLLATE NOCASE`)
    .executeTakeFirst();
  if (clash && clash.id !== selfId) {
    throw new AppError('CONFLICT', 'This chart number is already in use.', [
      { path: 'chartNumber', message: 'Already in use' },
    ]);
  }
}

async function nextChartNumber(tx: Tx): Promise<string> {
  const row = await tx
    .selectFrom('meta')
    .select('value')
    .where('key', '=', 'next_chart_number')
    .executeTakeFirst();
  let n = Number(row?.value ?? 1001);
  // Skip numbers taken by hand or by another workstation.
  for (;;) {
    const taken = await tx
      .selectFrom('patient')
      .select('id')
      .where(sql<boolean>`chart_number = ${String(n)} COLLATE NOCASE`)
      .executeTakeFirst();
    if (!taken) break;
    n += 1;
  }
  await tx
    .insertInto('meta')
    .values({ key: 'next_chart_number', value: String(n + 1) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(n + 1) }))
    .execute();
  return String(n);
}

/** Keeps the FTS5 row of one patient in step with its names and phones. */
export async function reindexPatient(tx: Executor, patientId: string): Promise<void> {
  const p = await tx
    .selectFrom('patient')
    .select(['given_names', 'family_name', 'patronymic', 'preferred_name', 'deleted'])
    .where('id', '=', patientId)
    .executeTakeFirst();
  let key = (
    await tx
      .selectFrom('patient_search_key')
      .select('key')
      .where('patient_id', '=', patientId)
      .executeTakeFirst()
  )?.key;
  if (key !== undefined) await sql`DELETE FROM patient_search WHERE rowid = ${key}`.execute(tx);
  if (!p || p.deleted) return;
  if (key === undefined) {
    const inserted = await tx
      .insertInto('patient_search_key')
      .values({ patient_id: patientId })
      .returning('key')
      .executeTakeFirstOrThrow();
    key = inserted.key;
  }
  const phones = await tx
    .selectFrom('patient_phone')
    .select('e164')
    .where('patient_id', '=', patientId)
    .where('deleted', '=', 0)
    .execute();
  const names = searchNames(p);
  const phoneKeys = phones.flatMap((ph) => phoneSearchKeys(ph.e164)).join(' ');
  await sql`INSERT INTO patient_search (rowid, names, phones) VALUES (${key}, ${names}, ${phoneKeys})`.execute(
    tx,
  );
}

/**
 * The names column of a patient's search row, folded by the same `tokenize` that reads queries.
 * FTS5's own folding keeps marks it does not know (Hebrew points, Devanagari vowel signs, Arabic
 * hamza) as separators, so raw names in other scripts would never match a folded query.
 */
function searchNames(
  p: {
    given_names: string;
    family_name: string;
    patronymic: string | null;
    preferred_name: string | null;
  },
  tokens: (s: string) => string[] = tokenize,
): string {
  // Part by part: the same tokens as the joined text (a space only separates), and the bulk path
  // can memoise each part.
  const out: string[] = [];
  for (const part of [p.given_names, p.family_name, p.patronymic, p.preferred_name])
    if (part) out.push(...tokens(part));
  return out.join(' ');
}

/** Caches a pure string function for one bulk call (names repeat a lot across patients). */
function memoise<T>(fn: (s: string) => T): (s: string) => T {
  const cache = new Map<string, T>();
  return (s) => {
    let value = cache.get(s);
    if (value === undefined) {
      value = fn(s);
      cache.set(s, value);
    }
    return value;
  };
}

interface ChildSpec<T> {
  table: ReplicatedTable;
  columns: (item: T, index: number) => Columns;
}

/** Makes a patient's sub-records (phones, alerts, ...) equal to `items`: update by id, insert new, tombstone the rest. */
async function syncChildren<T extends { id?: string | undefined }>(
  tx: Tx,
  ctx: ServiceContext,
  patientId: string,
  items: T[],
  spec: ChildSpec<T>,
): Promise<number> {
  const existing = await sql<{
    id: string;
  }>`SELECT id FROM ${sql.table(spec.table)} WHERE patient_id = ${patientId} AND deleted = 0`.execute(
    tx,
  );
  const existingIds = new Set(existing.rows.map((r) => r.id));
  let changes = 0;
  const kept = new Set<string>();
  for (const [i, item] of items.entries()) {
    const values = spec.columns(item, i);
    if (item.id && existingIds.has(item.id)) {
      kept.add(item.id);
      changes += (await updateRecord(tx, ctx.writer, spec.table, item.id, values)).columns.length;
    } else {
      if (item.id)
        throw new AppError('VALIDATION', 'A listed item belongs to another record.', [
          { path: 'id', message: 'Unknown item' },
        ]);
      await insertRecord(tx, ctx.writer, spec.table, { ...values, patient_id: patientId });
      changes += 1;
    }
  }
  for (const id of existingIds) {
    if (!kept.has(id)) {
      await deleteRecord(tx, ctx.writer, spec.table, id);
      changes += 1;
    }
  }
  return changes;
}

// Column mappers shared by the one-by-one and the bulk write paths.
const phoneColumns = (
  p: PatientData['phones'][number],
  i: number,
  e164: string,
  hasPreferred: boolean,
): Columns => ({
  e164,
  type: p.type,
  preferred: p.preferred || (!hasPreferred && i === 0) ? 1 : 0,
});
const documentColumns = (doc: PatientData['documents'][number]): Columns => ({
  type: doc.type,
  number: doc.number,
  issuing_country: doc.issuingCountry,
});
const insuranceColumns = (p: PatientData['insurance'][number]): Columns => ({
  payer: p.payer,
  member_number: p.memberNumber,
  valid_from: p.validFrom ?? null,
  valid_to: p.validTo ?? null,
});
const alertColumns = (a: PatientData['alerts'][number]): Columns => ({
  kind: a.kind,
  description: a.description,
  severity: a.severity,
});

async function writeChildren(
  tx: Tx,
  ctx: ServiceContext,
  patientId: string,
  d: Partial<PatientData>,
  phonesE164: string[] | null,
): Promise<number> {
  let changes = 0;
  if (d.phones && phonesE164) {
    const hasPreferred = d.phones.some((p) => p.preferred);
    changes += await syncChildren(tx, ctx, patientId, d.phones, {
      table: 'patient_phone',
      columns: (p, i) => phoneColumns(p, i, phonesE164[i]!, hasPreferred),
    });
  }
  if (d.documents) {
    changes += await syncChildren(tx, ctx, patientId, d.documents, {
      table: 'patient_document',
      columns: documentColumns,
    });
  }
  if (d.insurance) {
    changes += await syncChildren(tx, ctx, patientId, d.insurance, {
      table: 'patient_insurance',
      columns: insuranceColumns,
    });
  }
  if (d.alerts) {
    changes += await syncChildren(tx, ctx, patientId, d.alerts, {
      table: 'patient_alert',
      columns: alertColumns,
    });
  }
  return changes;
}

export async function createPatient(
  ctx: ServiceContext,
  d: PatientData,
  duplicatesReviewed: boolean,
): Promise<Patient> {
  if (!duplicatesReviewed) {
    const dupes = await findDuplicates(ctx, { ...d, phones: d.phones.map((p) => p.number) });
    if (dupes.length > 0) {
      throw new AppError(
        'CONFLICT',
        'This patient may already be registered. Review the possible duplicates before saving.',
      );
    }
  }
  const id = await ctx.db.transaction().execute(async (tx) => {
    const checked = await validate(tx, ctx, d, null);
    const chart = d.chartNumber ?? (await nextChartNumber(tx));
    await assertChartNumberFree(tx, chart, null);
    const { id } = await insertRecord(tx, ctx.writer, 'patient', {
      ...patientColumns(d),
      chart_number: chart,
      emergency_phone: checked.emergencyPhone,
      guardian_phone: checked.guardianPhone,
    });
    await writeChildren(tx, ctx, id, d, checked.phones);
    await reindexPatient(tx, id);
    return id;
  });
  ctx.emit('patients.changed', { ids: [id] });
  return getPatient(ctx, id);
}

/** A new patient for `insertPatientsBulk`. */
export interface NewPatientRecord {
  id: string;
  /** Parsed by `patientInput` and meeting the rules `createPatient` checks (guardians, dates). */
  data: PatientData;
  /** E.164 form of each of `data.phones`, in order. */
  phonesE164: string[];
  emergencyPhone: string | null;
  guardianPhone: string | null;
  /**
   * `phoneSearchKeys` of each phone, when the caller already has them: libphonenumber costs tens
   * of microseconds a number, which dominates a large import. Computed here when absent.
   */
  phoneSearchKeys?: string[][];
}

/**
 * The bulk path of `createPatient`, for seeding and imports: the same rows, change records and
 * search rows, through prepared statements. Each patient's import is audited by one
 * `patient.import` event naming the kinds of records written (see docs/security-model.md), where
 * `createPatient` writes one event per row. Synchronous; run it inside a transaction the caller
 * holds on `sqlite` (the handle behind `recorder`) and call `recorder.finish()` in it. Chart
 * numbers continue the clinic's sequence. Callers validate the data first (the seed generator is
 * tested against the same schema and rules); duplicates are not looked for.
 */
export function insertPatientsBulk(
  sqlite: SqliteDatabase,
  recorder: BulkRecorder,
  items: readonly NewPatientRecord[],
  at: string,
): void {
  const chain = recorder.chain.fork();
  try {
    const rows = patientRows(items, recorder.newId);
    writePatientRows(sqlite, recorder, stampPatientRows(rows, recorder.clock, chain, at));
  } finally {
    chain.release();
  }
}

/** The tables of a patient's own records, written after the patient row, in this order. */
const RECORD_TABLES = [
  'patient_phone',
  'patient_document',
  'patient_insurance',
  'patient_alert',
] as const;
type RecordTable = (typeof RECORD_TABLES)[number];

/**
 * New patients as the rows `insertPatientsBulk` writes, worked out before anything is read from
 * or written to the store (chart numbers and stamps come then), so that it can be done on another
 * thread: plain data, which can be posted between threads.
 */
export interface PatientRows {
  count: number;
  /** Each table's columns after `id` (and after `patient_id` for a patient's records). */
  columns: Record<'patient' | RecordTable, string[]>;
  /** Per patient: `id`, the chart number it came with (or null), then `columns.patient`. */
  patients: BulkValue[];
  /** Per record: `id`, `patient_id`, then the table's columns. */
  records: Record<RecordTable, BulkValue[]>;
  /** Per record, the index of its patient. */
  owners: Record<RecordTable, number[]>;
  /** Each patient's search row: folded name tokens, and the digit keys of their phones. */
  searchNames: string[];
  searchPhones: string[];
}

const recordTables = <T>(make: () => T): Record<RecordTable, T> => ({
  patient_phone: make(),
  patient_document: make(),
  patient_insurance: make(),
  patient_alert: make(),
});

/** `insertPatientsBulk`'s rows for `items`; `newId` makes the records' ids. */
export function patientRows(items: readonly NewPatientRecord[], newId: () => string): PatientRows {
  const fold = memoise(foldText);
  const tokens = memoise(tokenize);
  const rows: PatientRows = {
    count: items.length,
    columns: { patient: [], ...recordTables<string[]>(() => []) },
    patients: [],
    records: recordTables<BulkValue[]>(() => []),
    owners: recordTables<number[]>(() => []),
    searchNames: new Array<string>(items.length),
    searchPhones: new Array<string>(items.length),
  };
  const add = (table: RecordTable, owner: number, patientId: string, values: Columns) => {
    if (rows.columns[table].length === 0) rows.columns[table] = Object.keys(values);
    const out = rows.records[table];
    out.push(newId(), patientId);
    for (const name of rows.columns[table]) out.push(values[name]!);
    rows.owners[table].push(owner);
  };
  items.forEach((item, n) => {
    const d = item.data;
    if (item.phonesE164.length !== d.phones.length)
      throw new Error('Each phone needs its E.164 form');
    // The column mappers of the one-by-one path give the columns and their values.
    const columns = patientColumns(d, fold);
    columns.emergency_phone = item.emergencyPhone;
    columns.guardian_phone = item.guardianPhone;
    if (rows.columns.patient.length === 0) rows.columns.patient = Object.keys(columns);
    rows.patients.push(item.id, d.chartNumber ?? null);
    for (const name of rows.columns.patient) rows.patients.push(columns[name]!);
    const hasPreferred = d.phones.some((p) => p.preferred);
    d.phones.forEach((p, i) =>
      add('patient_phone', n, item.id, phoneColumns(p, i, item.phonesE164[i]!, hasPreferred)),
    );
    for (const doc of d.documents) add('patient_document', n, item.id, documentColumns(doc));
    for (const policy of d.insurance)
      add('patient_insurance', n, item.id, insuranceColumns(policy));
    for (const alert of d.alerts) add('patient_alert', n, item.id, alertColumns(alert));
    rows.searchNames[n] = searchNames(
      {
        given_names: d.givenNames,
        family_name: d.familyName,
        patronymic: d.patronymic,
        preferred_name: d.preferredName,
      },
      tokens,
    );
    rows.searchPhones[n] = item.phonesE164
      .flatMap((e164, i) => item.phoneSearchKeys?.[i] ?? phoneSearchKeys(e164))
      .join(' ');
  });
  return rows;
}

/** `PatientRows` with their stamps and audit events, ready to write (see `stampPatientRows`). */
export interface StampedPatientRows {
  rows: PatientRows;
  /** When they are written: the rows' created_at, the events' at. */
  at: string;
  /** Each table's rows' stamps, in the order of `rows`. */
  stamps: Record<'patient' | RecordTable, string[]>;
  /** One `patient.import` event per patient. */
  events: PreparedEvents;
}

/**
 * Stamps the rows in the order they are written (the patients, then each kind of record) and
 * chains one `patient.import` event per patient, naming the kinds of records written (see
 * docs/security-model.md), with the latest of its stamps. Touches no store: `clock` and `chain`
 * go on from the store's (see `BulkRecorder.insertRows` and `appendPrepared`).
 */
export function stampPatientRows(
  rows: PatientRows,
  clock: HybridLogicalClock,
  chain: BulkChain,
  at: string,
): StampedPatientRows {
  const count = rows.count;
  const patients = Array.from({ length: count }, () => clock.now());
  const stamps = { patient: patients, ...recordTables<string[]>(() => []) };
  const latest = [...patients];
  const written = patients.map((): string[] => ['patient']);
  for (const table of RECORD_TABLES) {
    stamps[table] = rows.owners[table].map((owner) => {
      const stamp = clock.now();
      latest[owner] = stamp;
      const tables = written[owner]!;
      if (tables[tables.length - 1] !== table) tables.push(table);
      return stamp;
    });
  }
  const events = chain.events('patient.import', 'patient');
  const width = rows.columns.patient.length + 2;
  for (let n = 0; n < count; n++) {
    const id = rows.patients[n * width] as string;
    chain.add(events, at, latest[n]!, id, id, JSON.stringify(written[n]));
  }
  return { rows, at, stamps, events };
}

/**
 * Writes stamped patient rows (the second half of `insertPatientsBulk`): chart numbers (filled
 * into the patients' rows), each table's rows with their change records, the import events,
 * search rows.
 */
export function writePatientRows(
  sqlite: SqliteDatabase,
  recorder: BulkRecorder,
  { rows, at, stamps, events }: StampedPatientRows,
): void {
  const count = rows.count;
  if (count === 0) return;
  const width = rows.columns.patient.length + 2;
  const given = new Array<string | null>(count);
  for (let n = 0; n < count; n++) given[n] = rows.patients[n * width + 1] as string | null;
  const charts = chartNumbers(sqlite, given);
  for (let n = 0; n < count; n++) rows.patients[n * width + 1] = charts[n]!;

  const lastPatient = Number(sqlite.prepare('SELECT max(rowid) FROM patient').pluck().get() ?? 0);
  recorder.insertRows(
    {
      table: 'patient',
      columns: ['id', 'chart_number', ...rows.columns.patient],
      values: rows.patients,
    },
    at,
    'by caller',
    stamps.patient,
  );
  for (const table of RECORD_TABLES) {
    if (rows.owners[table].length === 0) continue;
    recorder.insertRows(
      {
        table,
        columns: ['id', 'patient_id', ...rows.columns[table]],
        values: rows.records[table],
      },
      at,
      'by caller',
      stamps[table],
    );
  }
  recorder.appendPrepared(events, at);

  // Search rows last: a statement that needs a statement journal (a multi-row insert, or one
  // firing triggers) makes FTS5 write out what it holds in memory, so search rows interleaved
  // with the others would each become a tiny index segment, merged over and over.
  const firstKey =
    Number(sqlite.prepare('SELECT max(key) FROM patient_search_key').pluck().get() ?? 0) + 1;
  // The patients just written are the rows after `lastPatient`, in the order of `rows`.
  const keyed = sqlite
    .prepare(
      `INSERT INTO patient_search_key (key, patient_id)
       SELECT ? + rowid - ?, id FROM patient WHERE rowid > ? ORDER BY rowid`,
    )
    .run(firstKey - 1, lastPatient, lastPatient);
  if (keyed.changes !== count) throw new Error(`Expected ${count} new patients to index`);
  // One row a statement: these need no statement journal.
  const addSearchRow = sqlite.prepare(
    'INSERT INTO patient_search (rowid, names, phones) VALUES (?, ?, ?)',
  );
  for (let i = 0; i < count; i++)
    addSearchRow.run(firstKey + i, rows.searchNames[i]!, rows.searchPhones[i]!);
}

/**
 * Each patient's chart number: the one given, refused if in use, or the next free ones of the
 * clinic's sequence (skipping numbers taken by hand), which then moves on.
 */
function chartNumbers(sqlite: SqliteDatabase, given: ReadonlyArray<string | null>): string[] {
  const own = given.filter((c): c is string => c !== null);
  const chosen = new Set(own.map((c) => c.toLowerCase()));
  const clash = sqlite
    .prepare('SELECT 1 FROM patient WHERE chart_number = ? COLLATE NOCASE')
    .pluck();
  if (chosen.size !== own.length || own.some((c) => clash.get(c)))
    throw new AppError('CONFLICT', 'This chart number is already in use.', [
      { path: 'chartNumber', message: 'Already in use' },
    ]);
  // Numbers of one length are in the same order as text, so the taken ones of a stretch of the
  // sequence are one range of the chart number index per length.
  const inRange = sqlite
    .prepare(
      `SELECT lower(chart_number) FROM patient
       WHERE chart_number COLLATE NOCASE BETWEEN ? AND ? AND length(chart_number) = ?`,
    )
    .pluck();
  const takenBetween = (from: number, to: number): Set<string> => {
    const taken = new Set<string>();
    for (let length = String(from).length; length <= String(to).length; length++) {
      const low = Math.max(from, 10 ** (length - 1));
      const high = Math.min(to, 10 ** length - 1);
      for (const chart of inRange.all(String(low), String(high), length) as string[])
        taken.add(chart);
    }
    return taken;
  };
  const needed = given.length - own.length;
  const saved = sqlite
    .prepare(`SELECT value FROM meta WHERE key = 'next_chart_number'`)
    .pluck()
    .get() as string | undefined;
  let next = Number(saved ?? 1001);
  const free: string[] = [];
  while (free.length < needed) {
    const last = next + (needed - free.length) - 1;
    const taken = takenBetween(next, last);
    for (; next <= last; next++) {
      const chart = String(next);
      if (!taken.has(chart) && !chosen.has(chart)) free.push(chart);
    }
  }
  if (needed > 0)
    sqlite
      .prepare(
        `INSERT INTO meta (key, value) VALUES ('next_chart_number', ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      )
      .run(String(next));
  let f = 0;
  return given.map((chart) => chart ?? free[f++]!);
}

/** Back from the domain shape to input shape, so a patch can be merged and re-validated whole. */
function toData(p: Patient): PatientData {
  return {
    title: p.title,
    givenNames: p.givenNames,
    familyName: p.familyName,
    patronymic: p.patronymic,
    preferredName: p.preferredName,
    dateOfBirth: p.dateOfBirth,
    sex: p.sex,
    gender: p.gender,
    phones: p.phones.map((ph) => ({
      id: ph.id,
      number: ph.e164,
      type: ph.type,
      preferred: ph.preferred,
    })),
    email: p.email,
    address: p.address,
    preferredLanguage: p.preferredLanguage,
    preferredChannel: p.preferredChannel,
    documents: p.documents,
    insurance: p.insurance,
    emergencyContact: p.emergencyContact,
    guardian:
      p.guardian?.kind === 'patient'
        ? {
            kind: 'patient',
            patientId: p.guardian.patientId,
            relationship: p.guardian.relationship,
          }
        : p.guardian,
    alerts: p.alerts,
    notes: p.notes,
    status: p.status,
    chartNumber: p.chartNumber,
  };
}

export async function updatePatient(
  ctx: ServiceContext,
  id: string,
  patch: PatientPatch,
): Promise<Patient> {
  await ctx.db.transaction().execute(async (tx) => {
    const current = await loadPatient(tx, ctx, id);
    const merged: PatientData = { ...toData(current), ...patch };
    const checked = await validate(tx, ctx, merged, id);
    if (merged.chartNumber && merged.chartNumber !== current.chartNumber)
      await assertChartNumberFree(tx, merged.chartNumber, id);
    const cols = patientColumns(merged);
    await updateRecord(tx, ctx.writer, 'patient', id, {
      ...cols,
      chart_number: merged.chartNumber ?? current.chartNumber,
      emergency_phone: checked.emergencyPhone,
      guardian_phone: checked.guardianPhone,
    });
    await writeChildren(tx, ctx, id, patch, patch.phones ? checked.phones : null);
    await reindexPatient(tx, id);
  });
  ctx.emit('patients.changed', { ids: [id] });
  return getPatient(ctx, id);
}

export async function archivePatient(ctx: ServiceContext, id: string): Promise<Patient> {
  await ctx.db.transaction().execute(async (tx) => {
    await loadPatient(tx, ctx, id);
    await updateRecord(tx, ctx.writer, 'patient', id, { status: 'archived' });
  });
  ctx.emit('patients.changed', { ids: [id] });
  return getPatient(ctx, id);
}

/** Field-level history, newest first, from the change log. */
export async function patientHistory(ctx: ServiceContext, id: string): Promise<FieldChange[]> {
  await loadPatient(ctx.db, ctx, id);
  const rows = await ctx.db
    .selectFrom('change_log')
    .leftJoin('staff', 'staff.id', 'change_log.author_id')
    .select([
      'change_log.seq',
      'change_log.hlc',
      'change_log.recorded_at',
      'change_log.table_name',
      'change_log.row_id',
      'change_log.operation',
      'change_log.payload',
      'staff.display_name',
    ])
    .where('change_log.subject_id', '=', id)
    .orderBy('change_log.seq', 'desc')
    .limit(2000)
    .execute();
  const out: FieldChange[] = [];
  for (const r of rows) {
    const payload = JSON.parse(r.payload) as Record<string, unknown>;
    for (const [column, value] of Object.entries(payload)) {
      if (column === 'patient_id') continue;
      out.push({
        at: r.recorded_at,
        hlc: r.hlc,
        authorName: r.display_name ?? 'Another workstation',
        field: `${r.table_name}.${column}`,
        rowId: r.row_id,
        value,
        operation: r.operation,
      });
    }
  }
  return out;
}
