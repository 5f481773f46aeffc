import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { HybridLogicalClock } from '../../../shared/hlc';
import { AppError } from '../../../shared/errors';
import type { Tx } from './kysely';
import type { Database } from './schema';

/**
 * Every write to a replicated table goes through this module. It stamps the row with an HLC
 * timestamp, records the author, the changed column names and their new values in `change_log`,
 * and persists the clock, all inside the caller's transaction. Field history, the audit trail and
 * sync read from that one record, so no write path can bypass them.
 */
interface TableSpec {
  /** Columns whose changes are recorded (and later replicated). */
  columns: readonly string[];
  /** Derived locally, written but never recorded. */
  local?: readonly string[];
  /** Which patient a row belongs to. */
  subject: (row: Record<string, unknown>) => string | null;
}

const patientChild = (columns: readonly string[]): TableSpec => ({
  columns: ['patient_id', ...columns],
  subject: (row) => row.patient_id as string,
});

export const REPLICATED_TABLES = {
  clinic: {
    columns: ['name', 'time_zone', 'country', 'locale', 'age_of_consent'],
    subject: () => null,
  },
  staff: { columns: ['username', 'display_name', 'role', 'status'], subject: () => null },
  patient: {
    columns: [
      'chart_number',
      'title',
      'given_names',
      'family_name',
      'patronymic',
      'preferred_name',
      'date_of_birth',
      'sex',
      'gender',
      'email',
      'address_line1',
      'address_line2',
      'address_city',
      'address_region',
      'address_postal_code',
      'address_country',
      'preferred_language',
      'preferred_channel',
      'emergency_name',
      'emergency_relationship',
      'emergency_phone',
      'guardian_patient_id',
      'guardian_name',
      'guardian_relationship',
      'guardian_phone',
      'notes',
      'status',
    ],
    local: ['name_key'],
    subject: (row) => row.id as string,
  },
  patient_phone: patientChild(['e164', 'type', 'preferred']),
  patient_document: patientChild(['type', 'number', 'issuing_country']),
  patient_insurance: patientChild(['payer', 'member_number', 'valid_from', 'valid_to']),
  patient_alert: patientChild(['kind', 'description', 'severity']),
} as const satisfies Record<string, TableSpec>;

export type ReplicatedTable = keyof typeof REPLICATED_TABLES & keyof Database;
type Values = Record<string, string | number | null>;

/** Who is writing, on which device, with which clock. Identity comes from the session. */
export interface Writer {
  actorId: string | null;
  deviceId: string;
  clock: HybridLogicalClock;
  now: () => Date;
}

export interface ChangeResult {
  id: string;
  hlc: string;
  columns: string[];
}

function spec(table: ReplicatedTable): TableSpec {
  return REPLICATED_TABLES[table];
}

function pick(values: Values, names: readonly string[]): Values {
  const out: Values = {};
  for (const n of names) if (values[n] !== undefined) out[n] = values[n]!;
  return out;
}

async function appendChange(
  tx: Tx,
  w: Writer,
  table: ReplicatedTable,
  rowId: string,
  subject: string | null,
  operation: 'insert' | 'update' | 'delete',
  payload: Values,
  hlc: string,
  recordedAt: string,
): Promise<void> {
  await tx
    .insertInto('change_log')
    .values({
      hlc,
      author_id: w.actorId,
      device_id: w.deviceId,
      table_name: table,
      row_id: rowId,
      subject_id: subject,
      operation,
      columns: JSON.stringify(Object.keys(payload)),
      payload: JSON.stringify(payload),
      recorded_at: recordedAt,
    })
    .execute();
  await tx.updateTable('hlc_state').set({ last: w.clock.lastIssued }).where('id', '=', 1).execute();
}

/** Inserts a row (id generated as UUIDv7 unless given) and records it. */
export async function insertRecord(
  tx: Tx,
  w: Writer,
  table: ReplicatedTable,
  values: Values,
): Promise<ChangeResult> {
  const s = spec(table);
  const id = (values.id as string | undefined) ?? uuidv7();
  const hlc = w.clock.now();
  const at = w.now().toISOString();
  const recorded = pick(values, s.columns);
  const row = {
    ...recorded,
    ...pick(values, s.local ?? []),
    id,
    hlc,
    created_at: at,
    updated_at: at,
    deleted: 0,
  };
  await sql`INSERT INTO ${sql.table(table)} (${sql.join(Object.keys(row).map((c) => sql.ref(c)))})
            VALUES (${sql.join(Object.values(row))})`.execute(tx);
  await appendChange(tx, w, table, id, s.subject({ ...row }), 'insert', recorded, hlc, at);
  return { id, hlc, columns: Object.keys(recorded) };
}

async function loadRow(
  tx: Tx,
  table: ReplicatedTable,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  const result = await sql<
    Record<string, unknown>
  >`SELECT * FROM ${sql.table(table)} WHERE id = ${id}`.execute(tx);
  return result.rows[0];
}

/**
 * Writes only the columns whose values differ from the stored row and records them. Returns the
 * changed column names (empty when nothing changed: no change is recorded then).
 */
export async function updateRecord(
  tx: Tx,
  w: Writer,
  table: ReplicatedTable,
  id: string,
  patch: Values,
  operation: 'update' | 'delete' = 'update',
): Promise<ChangeResult> {
  const s = spec(table);
  const current = await loadRow(tx, table, id);
  if (!current)
    throw new AppError('NOT_FOUND', 'The record was not found. It may have been removed.');
  const tracked = operation === 'delete' ? [...s.columns, 'deleted'] : s.columns;
  const changed: Values = {};
  for (const [k, v] of Object.entries(pick(patch, tracked))) if (current[k] !== v) changed[k] = v;
  if (Object.keys(changed).length === 0) return { id, hlc: current.hlc as string, columns: [] };
  const hlc = w.clock.now();
  const at = w.now().toISOString();
  const set = { ...changed, ...pick(patch, s.local ?? []), hlc, updated_at: at };
  const result = await sql`UPDATE ${sql.table(table)}
      SET ${sql.join(Object.entries(set).map(([c, v]) => sql`${sql.ref(c)} = ${v}`))}
      WHERE id = ${id}`.execute(tx);
  if (Number(result.numAffectedRows ?? 0) !== 1)
    throw new Error(`Expected to update exactly one ${table} row`);
  await appendChange(
    tx,
    w,
    table,
    id,
    s.subject({ ...current, ...changed }),
    operation,
    changed,
    hlc,
    at,
  );
  return { id, hlc, columns: Object.keys(changed) };
}

/** Tombstones a row: it stays, marked deleted, so a late edit elsewhere cannot resurrect it unseen. */
export function deleteRecord(
  tx: Tx,
  w: Writer,
  table: ReplicatedTable,
  id: string,
): Promise<ChangeResult> {
  return updateRecord(tx, w, table, id, { deleted: 1 }, 'delete');
}
