import type BetterSqlite3 from 'better-sqlite3-multiple-ciphers';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { HybridLogicalClock } from '../../../shared/hlc';
import { AppError } from '../../../shared/errors';
import { appendAudit, CHECKPOINT_EVERY } from '../audit/append';
import { canonicalEvent, GENESIS_HASH, type AuditEventFields } from '../audit/chain';
import { loadSodium, type Sodium } from '../crypto/sodium';
import type { Tx } from './kysely';
import type { Database } from './schema';
import type { SqliteDatabase } from './store';

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
  staff: {
    columns: ['username', 'display_name', 'role', 'status', 'provider_id'],
    subject: () => null,
  },
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
  // Scheduling (issue 3): set-up rows belong to no patient; appointments and what hangs off them do.
  chair: { columns: ['name', 'position', 'active'], subject: () => null },
  provider: { columns: ['name', 'kind', 'colour', 'position', 'active'], subject: () => null },
  appointment_type: {
    columns: [
      'name',
      'duration_units',
      'colour',
      'allowed_provider_kinds',
      'default_procedure_codes',
      'position',
      'active',
    ],
    subject: () => null,
  },
  opening_hours: { columns: ['day', 'hours'], subject: () => null },
  provider_hours: { columns: ['provider_id', 'day', 'hours', 'breaks'], subject: () => null },
  closure: {
    columns: [
      'start_date',
      'end_date',
      'start_time',
      'end_time',
      'chair_id',
      'provider_id',
      'reason',
    ],
    subject: () => null,
  },
  scheduling_settings: { columns: ['late_cancellation'], subject: () => null },
  appointment: patientChild([
    'chair_id',
    'provider_id',
    'type_id',
    'starts_at',
    'ends_at',
    'status',
    'notes',
    'cancel_reason',
    'cancelled_by',
    'late_cancellation',
  ]),
  appointment_status_change: patientChild([
    'appointment_id',
    'status',
    'previous_status',
    'changed_by',
    'changed_at',
    'reason',
  ]),
  conflict_acknowledgement: {
    columns: [
      'conflict_id',
      'appointment_id',
      'other_appointment_id',
      'reason',
      'acknowledged_by',
      'acknowledged_at',
    ],
    subject: () => null,
  },
  waitlist_entry: patientChild([
    'type_id',
    'provider_id',
    'duration_minutes',
    'preferred_weekdays',
    'preferred_times',
    'current_appointment_id',
    'asap',
    'notes',
    'status',
    'booked_appointment_id',
  ]),
  recall: patientChild([
    'type_id',
    'interval_months',
    'due_date',
    'last_visit_date',
    'status',
    'notes',
  ]),
} as const satisfies Record<string, TableSpec>;

export type ReplicatedTable = keyof typeof REPLICATED_TABLES & keyof Database;

/**
 * Tables whose rows are written once and never changed (a correction is a new row): sync applies
 * their inserts and ignores anything else for them. Remote changes are merged by
 * `ChangeApplier` in ../sync/apply.ts, which records them in change_log like local ones.
 */
export const INSERT_ONLY_TABLES: ReadonlySet<string> = new Set<ReplicatedTable>([
  'appointment_status_change',
  'conflict_acknowledgement',
]);
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
  await appendAudit(tx, w, {
    action: `${table}.${operation}`,
    subjectId: subject,
    targetTable: table,
    targetId: rowId,
    fields: Object.keys(payload),
  });
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

type Statement = BetterSqlite3.Statement<unknown[]>;

interface PreparedShape {
  columns: string[];
  insert: Statement;
  /** The JSON of the recorded column names, the same for every row of this shape. */
  columnsJson: string;
}

/**
 * The bulk form of `insertRecord`, for seeding and imports: for every record the same row, HLC
 * stamp, change_log entry and audit event as `insertRecord`, written through cached prepared
 * statements on the raw handle (Kysely's per-query cost dominates at a hundred thousand rows).
 * Synchronous: create it with `BulkRecorder.create`, use it inside a transaction the caller holds
 * on the same handle, and call `finish()` before that transaction commits so the clock is
 * persisted with the data it stamped.
 */
export class BulkRecorder {
  private readonly shapes = new Map<string, PreparedShape[]>();
  private readonly appendLog: Statement;
  private readonly persistClock: Statement;
  private readonly appendAuditEvent: Statement;
  private readonly appendAuditCheckpoint: Statement;
  private auditSeq: number;
  private auditHash: string;

  private constructor(
    private readonly sqlite: SqliteDatabase,
    private readonly w: Writer,
    private readonly sodium: Sodium,
    private readonly newId: () => string,
  ) {
    this.appendLog = sqlite.prepare(
      `INSERT INTO change_log (hlc, author_id, device_id, table_name, row_id, subject_id, operation,
         columns, payload, recorded_at) VALUES (?, ?, ?, ?, ?, ?, 'insert', ?, ?, ?)`,
    );
    this.persistClock = sqlite.prepare('UPDATE hlc_state SET last = ? WHERE id = 1');
    this.appendAuditEvent = sqlite.prepare(
      `INSERT INTO audit_event (seq, id, at, hlc, device_id, actor_id, action, subject_id,
         target_table, target_id, fields, reason, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.appendAuditCheckpoint = sqlite.prepare(
      'INSERT INTO audit_checkpoint (seq, hash, at) VALUES (?, ?, ?)',
    );
    const last = sqlite
      .prepare('SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1')
      .get() as { seq: number; hash: string } | undefined;
    this.auditSeq = last?.seq ?? 0;
    this.auditHash = last?.hash ?? GENESIS_HASH;
  }

  /**
   * Reads the end of the audit chain, so call it inside the caller's transaction. `newId` makes
   * ids for rows given without one (UUIDv7, like `insertRecord`).
   */
  static async create(
    sqlite: SqliteDatabase,
    w: Writer,
    newId: () => string = () => uuidv7(),
  ): Promise<BulkRecorder> {
    return new BulkRecorder(sqlite, w, await loadSodium(), newId);
  }

  /** Same contract as `insertRecord`; `at` lets a batch share one timestamp. */
  insert(
    table: ReplicatedTable,
    values: Values,
    at: string = this.w.now().toISOString(),
  ): ChangeResult {
    const s = spec(table);
    const id = (values.id as string | undefined) ?? this.newId();
    const hlc = this.w.clock.now();
    const recorded = pick(values, s.columns);
    const row: Values = {
      ...recorded,
      ...pick(values, s.local ?? []),
      id,
      hlc,
      created_at: at,
      updated_at: at,
      deleted: 0,
    };
    const recordedColumns = Object.keys(recorded);
    const shape = this.shape(table, Object.keys(row), recordedColumns);
    shape.insert.run(...Object.values(row));
    const subject = s.subject(row);
    this.appendLog.run(
      hlc,
      this.w.actorId,
      this.w.deviceId,
      table,
      id,
      subject,
      shape.columnsJson,
      JSON.stringify(recorded),
      at,
    );
    this.audit(table, id, subject, recordedColumns.length > 0 ? shape.columnsJson : null, at);
    return { id, hlc, columns: recordedColumns };
  }

  /** Persists the clock; call it inside the transaction, after the last insert. */
  finish(): void {
    this.persistClock.run(this.w.clock.lastIssued);
  }

  /** The prepared insert for one column list; rows of a table mostly share one or two. */
  private shape(table: string, columns: string[], recordedColumns: string[]): PreparedShape {
    let list = this.shapes.get(table);
    if (!list) {
      list = [];
      this.shapes.set(table, list);
    }
    for (const candidate of list) {
      const known = candidate.columns;
      if (known.length !== columns.length) continue;
      let same = true;
      for (let i = 0; i < known.length && same; i++) same = known[i] === columns[i];
      if (same) return candidate;
    }
    const created: PreparedShape = {
      columns,
      insert: this.sqlite.prepare(
        `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')})
         VALUES (${columns.map(() => '?').join(', ')})`,
      ),
      columnsJson: JSON.stringify(recordedColumns),
    };
    list.push(created);
    return created;
  }

  /** The event `appendChange` appends through `appendAudit`, chained the same way. */
  private audit(
    table: string,
    rowId: string,
    subject: string | null,
    fields: string | null,
    at: string,
  ): void {
    const event: AuditEventFields = {
      id: this.newId(),
      at,
      hlc: this.w.clock.lastIssued,
      device_id: this.w.deviceId,
      actor_id: this.w.actorId,
      action: `${table}.insert`,
      subject_id: subject,
      target_table: table,
      target_id: rowId,
      fields,
      reason: null,
    };
    const prev = this.auditHash;
    const hash = this.sodium.crypto_generichash(
      32,
      `${prev}\n${canonicalEvent(event)}`,
      null,
      'hex',
    );
    const seq = this.auditSeq + 1;
    this.appendAuditEvent.run(
      seq,
      event.id,
      event.at,
      event.hlc,
      event.device_id,
      event.actor_id,
      event.action,
      event.subject_id,
      event.target_table,
      event.target_id,
      event.fields,
      event.reason,
      prev,
      hash,
    );
    if (seq % CHECKPOINT_EVERY === 0) this.appendAuditCheckpoint.run(seq, hash, at);
    this.auditSeq = seq;
    this.auditHash = hash;
  }
}
