import { sql } from 'kysely';
import { ageOn, todayIn } from '../../../shared/dates';
import { AppError, type FieldIssue } from '../../../shared/errors';
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
  type BulkRecorder,
  type ReplicatedTable,
} from '../db/changes';
import type { Executor, Tx } from '../db/kysely';
import type { SqliteDatabase } from '../db/store';
import { notFound } from '../errors';
import type { ServiceContext } from './context';
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

async function loadPatient(db: Executor, ctx: ServiceContext, id: string): Promise<Patient> {
  const patient = await db
    .selectFrom('patient')
    .selectAll()
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!patient) throw notFound('The patient');
  const [phones, documents, insurance, alerts, guardian] = await Promise.all([
    db
      .selectFrom('patient_phone')
      .selectAll()
      .where('patient_id', '=', id)
      .where('deleted', '=', 0)
      .orderBy('created_at')
      .execute(),
    db
      .selectFrom('patient_document')
      .selectAll()
      .where('patient_id', '=', id)
      .where('deleted', '=', 0)
      .orderBy('created_at')
      .execute(),
    db
      .selectFrom('patient_insurance')
      .selectAll()
      .where('patient_id', '=', id)
      .where('deleted', '=', 0)
      .orderBy('created_at')
      .execute(),
    db
      .selectFrom('patient_alert')
      .selectAll()
      .where('patient_id', '=', id)
      .where('deleted', '=', 0)
      .orderBy('created_at')
      .execute(),
    patient.guardian_patient_id
      ? db
          .selectFrom('patient')
          .select(['given_names', 'family_name'])
          .where('id', '=', patient.guardian_patient_id)
          .executeTakeFirst()
      : Promise.resolve(undefined),
  ]);
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

export function getPatient(ctx: ServiceContext, id: string): Promise<Patient> {
  return loadPatient(ctx.db, ctx, id);
}

/** Summaries for a set of ids, with preferred phone and alert kinds, in name order. */
async function summaries(db: Executor, rows: SummaryRow[]): Promise<PatientSummary[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [phones, alerts] = await Promise.all([
    db
      .selectFrom('patient_phone')
      .select(['patient_id', 'e164', 'preferred'])
      .where('patient_id', 'in', ids)
      .where('deleted', '=', 0)
      .orderBy('preferred', 'desc')
      .execute(),
    db
      .selectFrom('patient_alert')
      .select(['patient_id', 'kind'])
      .where('patient_id', 'in', ids)
      .where('deleted', '=', 0)
      .execute(),
  ]);
  const phoneBy = new Map<string, string>();
  for (const p of phones) if (!phoneBy.has(p.patient_id)) phoneBy.set(p.patient_id, p.e164);
  const alertsBy = new Map<string, Set<AlertKind>>();
  for (const a of alerts) {
    const set = alertsBy.get(a.patient_id) ?? new Set<AlertKind>();
    set.add(a.kind as AlertKind);
    alertsBy.set(a.patient_id, set);
  }
  return [...rows]
    .sort((a, b) =>
      a.name_key < b.name_key ? -1 : a.name_key > b.name_key ? 1 : a.id < b.id ? -1 : 1,
    )
    .map((r) => toSummary(r, phoneBy.get(r.id) ?? null, [...(alertsBy.get(r.id) ?? [])].sort()));
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

/**
 * Type-ahead. Name tokens match as prefixes in any order (folded like the FTS5 tokenizer); digits
 * match phones in any format and chart numbers; a typed date matches dates of birth. The FTS query
 * stops at `limit + 1` matches, so a one-letter query costs no more than a full name.
 */
export async function searchPatients(
  ctx: ServiceContext,
  query: string,
  limit: number,
): Promise<PatientSearchResult> {
  const q = parsePatientQuery(query, ctx.clinic.locale);
  const db = ctx.db;
  const found = new Map<string, SummaryRow>();
  const take = limit + 1;
  const add = (rows: SummaryRow[]) => {
    for (const r of rows) if (found.size < take && !found.has(r.id)) found.set(r.id, r);
  };

  if (q.kind === 'empty') return { items: [], more: false };
  if (q.chart) {
    add(
      await db
        .selectFrom('patient')
        .select(SUMMARY_COLUMNS)
        .where(sql<boolean>`chart_number = ${q.chart} COLLATE NOCASE`)
        .where('deleted', '=', 0)
        .execute(),
    );
  }
  if (q.kind === 'date') {
    add(
      await db
        .selectFrom('patient')
        .select(SUMMARY_COLUMNS)
        .where('date_of_birth', '=', q.date)
        .where('deleted', '=', 0)
        .orderBy('name_key')
        .limit(take)
        .execute(),
    );
  }
  if (q.kind === 'phone' || (q.kind === 'name' && q.tokens.length > 0)) {
    const match =
      q.kind === 'phone'
        ? `phones : "${q.digits}"*`
        : q.tokens.map((t) => `names : "${t}"*`).join(' AND ');
    // One statement from index hit to patient row (deleted patients have no search row).
    const hits = await sql<SummaryRow>`
      SELECT ${sql.join(SUMMARY_COLUMNS.map((c) => sql.ref(`p.${c}`)))}
      FROM patient_search s
      JOIN patient_search_key k ON k.key = s.rowid
      JOIN patient p ON p.id = k.patient_id
      WHERE patient_search MATCH ${match} AND +p.deleted = 0 LIMIT ${take}`.execute(db);
    add(hits.rows);
  }
  const rows = [...found.values()];
  const items = await summaries(db, rows);
  return { items: items.slice(0, limit), more: rows.length > limit };
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
  return { total: Number(total), offset, items: await summaries(ctx.db, rows) };
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
  const items = await summaries(db, await rowsByIds(db, ids));
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
 * search rows, through prepared statements. Synchronous; run it inside a transaction the caller
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
  const chartTaken = sqlite
    .prepare('SELECT 1 FROM patient WHERE chart_number = ? COLLATE NOCASE')
    .pluck();
  const nextChart = sqlite
    .prepare(`SELECT value FROM meta WHERE key = 'next_chart_number'`)
    .pluck();
  const saveNextChart = sqlite.prepare(
    `INSERT INTO meta (key, value) VALUES ('next_chart_number', ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  );
  const addSearchKey = sqlite.prepare('INSERT INTO patient_search_key (patient_id) VALUES (?)');
  const addSearchRow = sqlite.prepare(
    'INSERT INTO patient_search (rowid, names, phones) VALUES (?, ?, ?)',
  );
  let chart = Number((nextChart.get() as string | undefined) ?? 1001);
  let allocated = false;
  const fold = memoise(foldText);
  const tokens = memoise(tokenize);
  for (const item of items) {
    const d = item.data;
    if (item.phonesE164.length !== d.phones.length)
      throw new Error('Each phone needs its E.164 form');
    let chartNumber = d.chartNumber;
    if (chartNumber) {
      if (chartTaken.get(chartNumber))
        throw new AppError('CONFLICT', 'This chart number is already in use.', [
          { path: 'chartNumber', message: 'Already in use' },
        ]);
    } else {
      while (chartTaken.get(String(chart))) chart += 1;
      chartNumber = String(chart);
      chart += 1;
      allocated = true;
    }
    const columns = patientColumns(d, fold);
    recorder.insert(
      'patient',
      {
        ...columns,
        id: item.id,
        chart_number: chartNumber,
        emergency_phone: item.emergencyPhone,
        guardian_phone: item.guardianPhone,
      },
      at,
    );
    const hasPreferred = d.phones.some((p) => p.preferred);
    d.phones.forEach((p, i) => {
      const values = phoneColumns(p, i, item.phonesE164[i]!, hasPreferred);
      recorder.insert('patient_phone', { ...values, patient_id: item.id }, at);
    });
    for (const doc of d.documents)
      recorder.insert('patient_document', { ...documentColumns(doc), patient_id: item.id }, at);
    for (const policy of d.insurance)
      recorder.insert(
        'patient_insurance',
        { ...insuranceColumns(policy), patient_id: item.id },
        at,
      );
    for (const alert of d.alerts)
      recorder.insert('patient_alert', { ...alertColumns(alert), patient_id: item.id }, at);
    const key = addSearchKey.run(item.id).lastInsertRowid;
    const phoneKeys = item.phonesE164
      .flatMap((e164, i) => item.phoneSearchKeys?.[i] ?? phoneSearchKeys(e164))
      .join(' ');
    addSearchRow.run(
      key,
      searchNames(
        {
          given_names: d.givenNames,
          family_name: d.familyName,
          patronymic: d.patronymic,
          preferred_name: d.preferredName,
        },
        tokens,
      ),
      phoneKeys,
    );
  }
  if (allocated) saveNextChart.run(String(chart));
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
