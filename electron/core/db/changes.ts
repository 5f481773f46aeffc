import type BetterSqlite3 from 'better-sqlite3-multiple-ciphers';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { HybridLogicalClock } from '../../../shared/hlc';
import { AppError } from '../../../shared/errors';
import { appendAudit, CHECKPOINT_EVERY, type CommandEvent } from '../audit/append';
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
  /**
   * The raw handle the writer's transactions run on, when the caller has it (Core's writers do):
   * audit events are then appended through statements prepared once (see audit/append.ts).
   */
  sqlite?: SqliteDatabase;
  /**
   * Benchmarks only: no audit event is written for this writer, so bench/foundation.ts can
   * measure what auditing costs (audit_overhead_ratio). Core sets it after
   * `setAuditForBenchmark(false)`, which only a Core constructed with `benchmarkAuditSwitch`
   * accepts; no command, setting or host sets either.
   */
  auditOffForBenchmark?: true;
  /**
   * The event of the command this writer writes for, when the command knows it before running
   * (Core sets it): appended with the first change recorded, in the same transaction.
   */
  command?: CommandEvent;
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
  if (w.command && !w.command.appended)
    w.command.appended = await appendAudit(tx, w, w.command.entry);
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

/** A value of a bulk-written column, as SQLite stores it (so a row and its record agree). */
export type BulkValue = string | number | null;

/** Rows of one table for `BulkRecorder.insertRows`. */
export interface BulkRows {
  table: ReplicatedTable;
  /** `id` and the recorded and local columns given, the same for every row, in any order. */
  columns: readonly string[];
  /** Row after row, each in `columns` order. */
  values: BulkValue[];
}

/**
 * How `insertRows` audits: each row with its own `<table>.insert` event, as `insertRecord` does,
 * or by events the caller appends with `appendPrepared` in the same transaction (one per imported
 * patient, say: see docs/security-model.md).
 */
export type BulkAudit = 'each row' | 'by caller';

/** Rows a multi-row statement writes: enough that the cost of each call no longer shows. */
const ROWS_PER_STATEMENT = 64;

const quoteText = (value: string | null): string =>
  value === null ? 'NULL' : `'${value.replace(/'/g, "''")}'`;

const quoteName = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A statement for ROWS_PER_STATEMENT rows and one for a single row, taking the same values. */
interface Chunked {
  many: Statement;
  one: Statement;
  /** Values each row binds, after those bound once per statement. */
  width: number;
}

/** What `insertRows` prepares once per table and column list. */
interface RowsPlan {
  /** The JavaScript type each column stores, to refuse a value SQLite would convert. */
  types: ReadonlyArray<'string' | 'number'>;
  idAt: number;
  /** Where the row's subject (itself or its patient) is among the columns; -1 for none. */
  subjectAt: number;
  /** The recorded columns, in the table's order (as `insertRecord` records them), as JSON. */
  fields: string | null;
  /** Values: created_at and updated_at once, then each row's values and stamp. */
  rows: Chunked;
  /** Value: the table's last rowid before the rows; records each row after it, in order. */
  changes: Statement;
  lastRowid: Statement;
}

/** The parts of libsodium's module `ChainHasher` calls into. */
interface SodiumModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  _crypto_generichash(
    out: number,
    outLength: number,
    input: number,
    inputLengthLow: number,
    inputLengthHigh: number,
    key: number,
    keyLength: number,
  ): number;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * `chainHash` for a bulk load: BLAKE2b-256 of `${prev}\n${event}`, computed in libsodium's own
 * memory through one reused buffer. The wrapper allocates, copies and converts on every call,
 * which costs more than the hash over a hundred thousand events. Uses the wrapper when this
 * build of libsodium does not expose its module (tests/integration/seed.test.ts compares the two).
 */
export class ChainHasher {
  private readonly encoder = new TextEncoder();
  private capacity = 0;
  private input = 0;
  private output = 0;
  private last = '';

  private constructor(
    private readonly sodium: Sodium,
    private readonly module: SodiumModule | null,
  ) {}

  static create(sodium: Sodium): ChainHasher {
    const module = (sodium as unknown as { libsodium?: Partial<SodiumModule> }).libsodium;
    const usable =
      module !== undefined &&
      typeof module._malloc === 'function' &&
      typeof module._free === 'function' &&
      typeof module._crypto_generichash === 'function' &&
      module.HEAPU8 instanceof Uint8Array;
    return new ChainHasher(sodium, usable ? (module as SodiumModule) : null);
  }

  hash(prev: string, event: string): string {
    const module = this.module;
    // Its own hashes are hex; anything else (the head of the chain as read) is checked.
    if (!module || (prev !== this.last && !/^[0-9a-f]{64}$/.test(prev)))
      return this.sodium.crypto_generichash(32, `${prev}\n${event}`, null, 'hex');
    // UTF-8 takes at most three bytes per UTF-16 unit.
    const needed = 65 + event.length * 3;
    if (needed > this.capacity) {
      this.release();
      this.capacity = Math.max(needed, 16 * 1024);
      this.input = module._malloc(this.capacity);
      this.output = module._malloc(32);
    }
    // Read the view after allocating: growing the memory replaces it.
    const heap = module.HEAPU8;
    const input = this.input;
    for (let i = 0; i < 64; i++) heap[input + i] = prev.charCodeAt(i);
    heap[input + 64] = 10;
    const { written } = this.encoder.encodeInto(
      event,
      heap.subarray(input + 65, input + this.capacity),
    );
    module._crypto_generichash(this.output, 32, input, 65 + written, 0, 0, 0);
    let hex = '';
    for (let i = 0; i < 32; i++) hex += HEX[heap[this.output + i]!]!;
    this.last = hex;
    return hex;
  }

  release(): void {
    if (!this.module || this.capacity === 0) return;
    this.module._free(this.input);
    this.module._free(this.output);
    this.capacity = 0;
  }
}

/** The end of the audit chain: the last event's sequence number and hash. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** Chained events of one action and target table, ready to append (see `BulkChain`). */
export interface PreparedEvents {
  action: string;
  targetTable: string | null;
  /** Per event: seq, id, hlc, subject_id, target_id, fields, prev_hash, hash. */
  values: BulkValue[];
  /** The checkpoint rows (seq, hash) falling among them. */
  checkpoints: Array<[seq: number, hash: string]>;
}

/** Values each prepared event binds. */
const EVENT_WIDTH = 8;

/**
 * The audit chain as a bulk writer continues it from a head: events chained in order, as
 * `appendAudit` chains them, by the given writer. It touches no store, so the seed can chain on
 * the thread that makes the patients; `BulkRecorder.appendPrepared` checks that what it is given
 * starts where the stored chain ends.
 */
export class BulkChain {
  private readonly hasher: ChainHasher;
  private readonly encoders = new Map<string, (e: AuditEventFields) => string>();
  private seq: number;
  private hash: string;

  constructor(
    private readonly sodium: Sodium,
    head: ChainHead,
    private readonly writer: Pick<Writer, 'deviceId' | 'actorId'>,
    private readonly newId: () => string,
  ) {
    this.hasher = ChainHasher.create(sodium);
    this.seq = head.seq;
    this.hash = head.hash;
  }

  get head(): ChainHead {
    return { seq: this.seq, hash: this.hash };
  }

  /** Another chain going on from the same head, by the same writer. */
  fork(): BulkChain {
    return new BulkChain(this.sodium, this.head, this.writer, this.newId);
  }

  /** Moves the head on to events appended by someone else (checked by the caller). */
  adopt(head: ChainHead): void {
    this.seq = head.seq;
    this.hash = head.hash;
  }

  /** A new batch of events of one action and target table. */
  events(action: string, targetTable: string | null): PreparedEvents {
    return { action, targetTable, values: [], checkpoints: [] };
  }

  /** Chains one event onto `into` (ids and field names only, never values). */
  add(
    into: PreparedEvents,
    at: string,
    hlc: string,
    subject: string | null,
    target: string | null,
    fields: string | null,
  ): void {
    const key = `${into.action}\n${into.targetTable ?? ''}`;
    let encode = this.encoders.get(key);
    if (!encode) {
      encode = canonicalOf(this.writer, into.action, into.targetTable);
      this.encoders.set(key, encode);
    }
    const event: AuditEventFields = {
      id: this.newId(),
      at,
      hlc,
      device_id: this.writer.deviceId,
      actor_id: this.writer.actorId,
      action: into.action,
      subject_id: subject,
      target_table: into.targetTable,
      target_id: target,
      fields,
      reason: null,
    };
    const prev = this.hash;
    const hash = this.hasher.hash(prev, encode(event));
    const seq = this.seq + 1;
    into.values.push(seq, event.id, hlc, subject, target, fields, prev, hash);
    if (seq % CHECKPOINT_EVERY === 0) into.checkpoints.push([seq, hash]);
    this.seq = seq;
    this.hash = hash;
  }

  /** Frees what hashing holds in libsodium's memory; hashing after this allocates again. */
  release(): void {
    this.hasher.release();
  }
}

/**
 * The bulk form of `insertRecord`, for seeding and imports: the same rows, HLC stamps, change_log
 * records and chained audit events, through prepared statements on the raw handle (Kysely's
 * per-query cost dominates at a hundred thousand rows). What is the same for every row (author,
 * device, table, column list, action) is written into the statements, so that rows bind only what
 * varies; `insertRows` writes many rows a statement and has SQLite build their change records
 * from the rows just written.
 * Synchronous: create it with `BulkRecorder.create`, use it inside a transaction the caller holds
 * on the same handle, and call `finish()` before that transaction commits so the clock is
 * persisted with the data it stamped.
 */
export class BulkRecorder {
  private readonly single = new Map<string, Statement>();
  private readonly plans = new Map<string, RowsPlan>();
  private readonly eventStatements = new Map<string, Chunked>();
  private readonly appendChange: Statement;
  private readonly persistClock: Statement;
  private readonly appendAuditCheckpoint: Statement;
  /** The audit chain as stored, continued by what this recorder appends. */
  readonly chain: BulkChain;

  private constructor(
    private readonly sqlite: SqliteDatabase,
    private readonly w: Writer,
    sodium: Sodium,
    /** Makes ids for rows and events: UUIDv7s unless the recorder was made with another. */
    readonly newId: () => string,
  ) {
    this.appendChange = sqlite.prepare(
      `INSERT INTO change_log (hlc, author_id, device_id, table_name, row_id, subject_id,
         operation, columns, payload, recorded_at)
       VALUES (?, ${quoteText(w.actorId)}, ${quoteText(w.deviceId)}, ?, ?, ?, 'insert', ?, ?, ?)`,
    );
    this.persistClock = sqlite.prepare('UPDATE hlc_state SET last = ? WHERE id = 1');
    this.appendAuditCheckpoint = sqlite.prepare(
      'INSERT INTO audit_checkpoint (seq, hash, at) VALUES (?, ?, ?)',
    );
    const last = sqlite
      .prepare('SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1')
      .get() as ChainHead | undefined;
    this.chain = new BulkChain(sodium, last ?? { seq: 0, hash: GENESIS_HASH }, w, newId);
  }

  /** The clock stamping what this recorder writes. */
  get clock(): HybridLogicalClock {
    return this.w.clock;
  }

  /**
   * Reads the end of the audit chain, so call it inside the caller's transaction. `newId` makes
   * ids for rows given without one and for events (UUIDv7, like `insertRecord`).
   */
  static async create(
    sqlite: SqliteDatabase,
    w: Writer,
    newId: () => string = () => uuidv7(),
  ): Promise<BulkRecorder> {
    return new BulkRecorder(sqlite, w, await loadSodium(), newId);
  }

  /** Same contract as `insertRecord`, for one row; `at` lets a batch share one timestamp. */
  insert(
    table: ReplicatedTable,
    values: Values,
    at: string = this.w.now().toISOString(),
  ): ChangeResult {
    const s = spec(table);
    const id = (values.id as string | undefined) ?? this.newId();
    const hlc = this.w.clock.now();
    const recorded = pick(values, s.columns);
    const row: Values = { ...recorded, ...pick(values, s.local ?? []), id, hlc };
    const names = Object.keys(row);
    const columns = Object.keys(recorded);
    const key = `${table}\n${names.join(',')}`;
    let insertRow = this.single.get(key);
    if (!insertRow) {
      insertRow = this.sqlite.prepare(
        `INSERT INTO ${quoteName(table)}
           (${[...names, 'created_at', 'updated_at', 'deleted'].map(quoteName).join(', ')})
         VALUES (${names.map(() => '?').join(', ')}, ?, ?, 0)`,
      );
      this.single.set(key, insertRow);
    }
    insertRow.run(...Object.values(row), at, at);
    const subject = s.subject({ ...values, id });
    const columnsJson = JSON.stringify(columns);
    this.appendChange.run(hlc, table, id, subject, columnsJson, JSON.stringify(recorded), at);
    const events = this.chain.events(`${table}.insert`, table);
    this.chain.add(events, at, hlc, subject, id, columns.length > 0 ? columnsJson : null);
    this.writeEvents(events, at);
    return { id, hlc, columns };
  }

  /**
   * Many rows of one table, stamped in order, written, and recorded in change_log (SQLite builds
   * the records from the rows just written, so they hold exactly what was stored); with 'each
   * row', each also gets its `<table>.insert` event. Values must be of their column's type
   * (strings for TEXT, numbers for INTEGER), so that a row and its record agree. Rows others point
   * at (a patient before its phones) go in an earlier call. `stamps`, when given, are the rows'
   * stamps, issued in order by this clock or by one that went on from it (the seed stamps on the
   * thread that makes the patients); this clock then moves past them. Returns each row's stamp.
   */
  insertRows(rows: BulkRows, at: string, audit: BulkAudit, stamps?: readonly string[]): string[] {
    const plan = this.plan(rows.table, rows.columns);
    const { types } = plan;
    const width = types.length;
    const values = rows.values;
    const count = values.length / width;
    if (!Number.isInteger(count)) throw new Error(`${rows.table} rows take ${width} values each`);
    if (stamps && stamps.length !== count)
      throw new Error(`${rows.table} rows take one stamp each`);
    for (let r = 0, from = 0; r < count; r++)
      for (let k = 0; k < width; k++) {
        const value = values[from++]!;
        if (value !== null && typeof value !== types[k])
          throw new Error(`${rows.table}.${rows.columns[k]} takes a ${types[k]}`);
      }
    let issued: readonly string[];
    if (stamps) {
      issued = stamps;
      if (count > 0) this.w.clock.receive(stamps[count - 1]!);
    } else issued = Array.from({ length: count }, () => this.w.clock.now());
    const before = Number(plan.lastRowid.get() ?? 0);
    runChunked(plan.rows, [at, at], values, count, issued);
    if (plan.changes.run(before).changes !== count)
      throw new Error(`Expected ${count} new ${rows.table} rows to record`);
    if (audit === 'each row') {
      const events = this.chain.events(`${rows.table}.insert`, rows.table);
      for (let r = 0; r < count; r++) {
        const id = values[r * width + plan.idAt] as string;
        const subject = plan.subjectAt < 0 ? null : (values[r * width + plan.subjectAt] as string);
        this.chain.add(events, at, issued[r]!, subject, id, plan.fields);
      }
      this.writeEvents(events, at);
    }
    return [...issued];
  }

  /**
   * Appends events chained elsewhere by a `BulkChain` that went on from this recorder's chain
   * (about rows written with 'by caller'); refuses them unless they start where it ends.
   */
  appendPrepared(events: PreparedEvents, at: string): void {
    const { values } = events;
    if (values.length === 0) return;
    const head = this.chain.head;
    if (values[0] !== head.seq + 1 || values[6] !== head.hash)
      throw new Error('The prepared audit events do not continue the chain');
    this.writeEvents(events, at);
    this.chain.adopt({
      seq: values[values.length - EVENT_WIDTH] as number,
      hash: values[values.length - 1] as string,
    });
  }

  /** Persists the clock; call it inside the transaction, after the last insert. */
  finish(): void {
    this.persistClock.run(this.w.clock.lastIssued);
    this.chain.release();
  }

  /** Writes events of one action and target table (written into the statements). */
  private writeEvents(events: PreparedEvents, at: string): void {
    const { action, targetTable } = events;
    const key = `${action}\n${targetTable ?? ''}`;
    let statements = this.eventStatements.get(key);
    if (!statements) {
      statements = chunked(
        this.sqlite,
        `INSERT INTO audit_event (seq, id, at, hlc, device_id, actor_id, action, subject_id,
           target_table, target_id, fields, reason, prev_hash, hash)
         SELECT column1, column2, ?, column3, ${quoteText(this.w.deviceId)},
           ${quoteText(this.w.actorId)}, ${quoteText(action)}, column4, ${quoteText(targetTable)},
           column5, column6, NULL, column7, column8
         FROM `,
        EVENT_WIDTH,
      );
      this.eventStatements.set(key, statements);
    }
    runChunked(statements, [at], events.values, events.values.length / EVENT_WIDTH);
    for (const [seq, hash] of events.checkpoints) this.appendAuditCheckpoint.run(seq, hash, at);
  }

  private plan(table: ReplicatedTable, columns: readonly string[]): RowsPlan {
    const key = `${table}\n${columns.join(',')}`;
    const known = this.plans.get(key);
    if (known) return known;
    const s = spec(table);
    const local = s.local ?? [];
    if (
      new Set(columns).size !== columns.length ||
      !columns.includes('id') ||
      columns.some((c) => c !== 'id' && !s.columns.includes(c) && !local.includes(c))
    )
      throw new Error(`${table} rows take an id and recorded or local columns, each once`);
    const declared = new Map(
      (
        this.sqlite.prepare('SELECT name, type FROM pragma_table_info(?)').all(table) as Array<{
          name: string;
          type: string;
        }>
      ).map((c) => [c.name, c.type.toUpperCase()]),
    );
    const types = columns.map((c): 'string' | 'number' => {
      const type = declared.get(c);
      if (type === 'TEXT') return 'string';
      if (type === 'INTEGER' || type === 'REAL') return 'number';
      throw new Error(`${table}.${c} has no declared type to check values against`);
    });
    const recorded = s.columns.filter((c) => columns.includes(c));
    const subject = subjectColumn(s);
    if (subject === undefined || (subject !== null && !columns.includes(subject)))
      throw new Error(`${table} rows cannot be recorded in bulk without their subject`);
    const names = [...columns, 'hlc'];
    const { actorId, deviceId } = this.w;
    const plan: RowsPlan = {
      types,
      idAt: columns.indexOf('id'),
      subjectAt: subject === null ? -1 : columns.indexOf(subject),
      fields: recorded.length > 0 ? JSON.stringify(recorded) : null,
      rows: chunked(
        this.sqlite,
        `INSERT INTO ${quoteName(table)}
           (${[...names, 'created_at', 'updated_at', 'deleted'].map(quoteName).join(', ')})
         SELECT ${names.map((_, i) => `column${i + 1}`).join(', ')}, ?, ?, 0 FROM `,
        names.length,
      ),
      changes: this.sqlite.prepare(
        `INSERT INTO change_log (hlc, author_id, device_id, table_name, row_id, subject_id,
           operation, columns, payload, recorded_at)
         SELECT hlc, ${quoteText(actorId)}, ${quoteText(deviceId)}, ${quoteText(table)}, id,
           ${subject === null ? 'NULL' : quoteName(subject)}, 'insert',
           ${quoteText(JSON.stringify(recorded))},
           json_object(${recorded.map((c) => `${quoteText(c)}, ${quoteName(c)}`).join(', ')}),
           created_at
         FROM ${quoteName(table)} WHERE rowid > ? ORDER BY rowid`,
      ),
      lastRowid: this.sqlite.prepare(`SELECT max(rowid) FROM ${quoteName(table)}`).pluck(),
    };
    this.plans.set(key, plan);
    return plan;
  }
}

/**
 * `canonicalEvent` for many events that share their writer, action and target table: what they
 * share is encoded once. Used only if it encodes a probe event exactly as `canonicalEvent` does,
 * so a change to the canonical form cannot fork the chain.
 */
function canonicalOf(
  w: Pick<Writer, 'deviceId' | 'actorId'>,
  action: string,
  targetTable: string | null,
): (e: AuditEventFields) => string {
  const j = JSON.stringify;
  const writer = `,${j(w.deviceId)},${j(w.actorId)},${j(action)},`;
  const table = `,${j(targetTable)},`;
  const encode = (e: AuditEventFields) =>
    `[${j(e.id)},${j(e.at)},${j(e.hlc)}${writer}${j(e.subject_id)}${table}${j(e.target_id)},` +
    `${j(e.fields)},null]`;
  const probe: AuditEventFields = {
    id: 'id "1"',
    at: 'at\u0001',
    hlc: 'hlc\\',
    device_id: w.deviceId,
    actor_id: w.actorId,
    action,
    subject_id: null,
    target_table: targetTable,
    target_id: 'target \u2028',
    fields: '["a"]',
    reason: null,
  };
  return encode(probe) === canonicalEvent(probe) ? encode : canonicalEvent;
}

/**
 * The column holding a row's subject as `TableSpec.subject` finds it (`id` for a patient,
 * `patient_id` for their records, null for rows about no patient), asked once with a probe row;
 * undefined when it is worked out some other way.
 */
function subjectColumn(s: TableSpec): 'id' | 'patient_id' | null | undefined {
  const probe = { id: '\u0000id', patient_id: '\u0000patient_id' };
  const answer = s.subject(probe);
  if (answer === probe.id) return 'id';
  if (answer === probe.patient_id) return 'patient_id';
  return answer === null ? null : undefined;
}

function chunked(sqlite: SqliteDatabase, head: string, width: number): Chunked {
  const tuple = `(${Array<string>(width).fill('?').join(', ')})`;
  return {
    many: sqlite.prepare(
      `${head}(VALUES ${Array<string>(ROWS_PER_STATEMENT).fill(tuple).join(',\n')})`,
    ),
    one: sqlite.prepare(`${head}(VALUES ${tuple})`),
    width,
  };
}

/**
 * Runs `count` rows of `values` through the multi-row statement, ROWS_PER_STATEMENT at a time,
 * then the rest one by one; `shared` is bound first in every call and, with `stamps`, each row's
 * stamp after its values. Values go as arguments rather than an array: the driver reads those
 * faster.
 */
function runChunked(
  statements: Chunked,
  shared: readonly BulkValue[],
  values: readonly BulkValue[],
  count: number,
  stamps?: readonly string[],
): void {
  const { width, many, one } = statements;
  const given = stamps ? width - 1 : width;
  let done = 0;
  if (count >= ROWS_PER_STATEMENT) {
    const args = new Array<BulkValue>(shared.length + ROWS_PER_STATEMENT * width);
    for (let k = 0; k < shared.length; k++) args[k] = shared[k]!;
    for (; done + ROWS_PER_STATEMENT <= count; done += ROWS_PER_STATEMENT) {
      let to = shared.length;
      let from = done * given;
      for (let r = 0; r < ROWS_PER_STATEMENT; r++) {
        for (let k = 0; k < given; k++) args[to++] = values[from++]!;
        if (stamps) args[to++] = stamps[done + r]!;
      }
      many.run(...args);
    }
  }
  for (; done < count; done++) {
    const row = values.slice(done * given, (done + 1) * given);
    if (stamps) one.run(...shared, ...row, stamps[done]!);
    else one.run(...shared, ...row);
  }
}
