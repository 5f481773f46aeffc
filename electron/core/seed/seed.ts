import { todayIn } from '../../../shared/dates';
import { AppError } from '../../../shared/errors';
import { GENESIS_HASH } from '../audit/chain';
import { loadSodium } from '../crypto/sodium';
import { BulkChain, BulkRecorder, type ChainHead } from '../db/changes';
import type { SqliteDatabase } from '../db/store';
import { writePatientRows } from '../services/patients';
import type { OpenStore } from '../store-session';
import { batchesHere, batchesOnWorker, type PatientBatches, type Stamping } from './batches';
import { DEFAULT_SEED_VALUE } from './generate';
import { bulkIdFactory } from './ids';

export interface SeedOptions {
  count: number;
  seedValue?: string;
  /** Ages are counted from this day; today in the clinic's time zone by default. */
  today?: string;
  /** Patients generated and written per step (progress is reported after each). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  /** Ids of the patients and their records; with it, patients are generated on this thread. */
  newId?: () => string;
  /**
   * Generate on a worker thread: by default for loads beyond the first small batches; never with
   * false; with 'wait', also when small, after waiting for it to start (for tests).
   */
  worker?: boolean | 'wait';
}

export interface SeedSummary {
  patients: number;
  phones: number;
  alerts: number;
  documents: number;
  insurancePolicies: number;
  minorsWithGuardian: number;
  /** Of the patients, how many were generated on a worker thread. */
  madeOnWorker: number;
}

/** Tables the seed writes to; their secondary indexes are rebuilt once at the end of a big load. */
const LOADED_TABLES = [
  'patient',
  'patient_phone',
  'patient_document',
  'patient_insurance',
  'patient_alert',
  'change_log',
  'audit_event',
];

/**
 * Below this many new patients, maintaining the indexes (and the book's triggers, see
 * `suspendBookTriggers`) row by row is cheaper than catching up at the end.
 */
const REBUILD_INDEXES_FROM = 5_000;

/** Batches of the first patients: small, see `seedPatients`. */
const STARTING_BATCH = 1_000;
const STARTING_PATIENTS = 10_000;

/** Patients per transaction: bounds the memory a transaction holds (about 5 kB a patient). */
const PATIENTS_PER_TRANSACTION = 200_000;

/**
 * Adds `count` generated patients to an open store as `actorId`: every row stamped and recorded
 * in change_log the way the app writes it, search rows, and one `patient.import` audit event per
 * patient (see `insertPatientsBulk`), through prepared statements in large transactions. A
 * failure rolls back the transaction in progress. Nothing else may use the store meanwhile.
 *
 * For speed on large loads, and only for the duration of the load, the store uses a rollback
 * journal instead of its write-ahead log (each page is then encrypted and written once rather than
 * three times), a page cache large enough to hold the transaction, and secondary indexes dropped
 * and recreated inside the same transaction (so they can never be left missing). The store is
 * back in WAL mode with its usual cache when this returns or throws.
 */
export async function seedPatients(
  store: OpenStore,
  actorId: string,
  now: () => number,
  options: SeedOptions,
): Promise<SeedSummary> {
  const clinic = store.clinic;
  if (!clinic) throw new AppError('NOT_SET_UP', 'This workstation is not set up yet.');
  const newId = options.newId ?? bulkIdFactory(now);
  const settings = {
    seedValue: options.seedValue ?? DEFAULT_SEED_VALUE,
    country: clinic.country,
    locale: clinic.locale,
    ageOfConsent: clinic.ageOfConsent,
    today: options.today ?? todayIn(clinic.timeZone, new Date(now())),
  };
  const batchSize = Math.max(1, options.batchSize ?? 5_000);
  const writer = store.writer(actorId, () => new Date(now()));
  const sqlite = store.sqlite;
  const summary: SeedSummary = {
    patients: 0,
    phones: 0,
    alerts: 0,
    documents: 0,
    insurancePolicies: 0,
    minorsWithGuardian: 0,
    madeOnWorker: 0,
  };
  const total = options.count;
  options.onProgress?.(0, total);
  if (total <= 0) return summary;

  // Batch sizes, transaction by transaction, so that a worker can make each before it is needed.
  // The first ones are small: they are made here while the worker starts (most of a second), and
  // the sooner one is written, the sooner the worker takes over.
  const transactions: number[][] = [];
  let planned = 0;
  for (let left = total; left > 0;) {
    const inThisTransaction = Math.min(PATIENTS_PER_TRANSACTION, left);
    const sizes: number[] = [];
    for (let inThis = 0; inThis < inThisTransaction;) {
      const most = planned < STARTING_PATIENTS ? Math.min(STARTING_BATCH, batchSize) : batchSize;
      const size = Math.min(most, inThisTransaction - inThis);
      sizes.push(size);
      inThis += size;
      planned += size;
    }
    transactions.push(sizes);
    left -= inThisTransaction;
  }
  const sizes = transactions.flat();
  // Batches are stamped and audited when they are made, from the chain as it stands: nothing
  // else writes while the seed runs, and each transaction checks its events continue the chain.
  const head = sqlite
    .prepare('SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1')
    .get() as ChainHead | undefined;
  const chain = new BulkChain(
    await loadSodium(),
    head ?? { seq: 0, hash: GENESIS_HASH },
    writer,
    newId,
  );
  const stamping: Stamping = {
    clock: writer.clock,
    chain,
    at: () => writer.now().toISOString(),
  };
  const worker =
    !options.newId &&
    sizes.length > 1 &&
    (options.worker === undefined ? total > STARTING_PATIENTS : options.worker !== false);
  const batches: PatientBatches =
    (worker
      ? batchesOnWorker(settings, newId, sizes, stamping, writer, options.worker === 'wait')
      : null) ?? batchesHere(settings, newId, sizes, stamping);

  const restore = prepareForLoad(sqlite, Math.min(total, PATIENTS_PER_TRANSACTION));
  try {
    for (const transaction of transactions) {
      const large = transaction.reduce((a, b) => a + b, 0) >= REBUILD_INDEXES_FROM;
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        const recorder = await BulkRecorder.create(sqlite, writer, newId);
        const indexes = large ? dropSecondaryIndexes(sqlite) : [];
        const book = large ? suspendBookTriggers(sqlite) : null;
        let written = 0;
        for (const size of transaction) {
          const before = batches.fromWorker();
          const { stamped, minorsWithGuardian } = batches.next();
          if (batches.fromWorker() > before) summary.madeOnWorker += size;
          writePatientRows(sqlite, recorder, stamped);
          const { rows } = stamped;
          summary.phones += rows.owners.patient_phone.length;
          summary.alerts += rows.owners.patient_alert.length;
          summary.documents += rows.owners.patient_document.length;
          summary.insurancePolicies += rows.owners.patient_insurance.length;
          summary.minorsWithGuardian += minorsWithGuardian;
          written += size;
          options.onProgress?.(summary.patients + written, total);
        }
        recorder.finish();
        book?.resume();
        for (const sql of indexes) sqlite.exec(sql);
        sqlite.exec('COMMIT');
        summary.patients += written;
      } catch (e) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw e;
      }
    }
  } finally {
    restore();
    chain.release();
    await batches.close();
  }
  return summary;
}

/**
 * Switches the connection to its bulk-load settings and returns the function that switches it
 * back. The journal change needs the only connection to the file; when another one holds it, the
 * load simply runs in WAL mode.
 */
function prepareForLoad(sqlite: SqliteDatabase, patients: number): () => void {
  const cacheSize = sqlite.pragma('cache_size', { simple: true }) as number;
  const journal = String(sqlite.pragma('journal_mode', { simple: true }));
  // About 5 kB of pages a patient (rows, change records, audit events, indexes), with headroom;
  // between 64 MiB and 1.5 GiB.
  const cacheKiB = Math.min(1_536 * 1024, Math.max(64 * 1024, Math.ceil(patients * 8)));
  sqlite.pragma(`cache_size=${-cacheKiB}`);
  let switched = false;
  if (journal.toLowerCase() === 'wal') {
    try {
      sqlite.pragma('wal_checkpoint(TRUNCATE)');
      switched = String(sqlite.pragma('journal_mode=DELETE', { simple: true })) === 'delete';
    } catch {
      switched = false;
    }
  }
  return () => {
    if (switched) sqlite.pragma(`journal_mode=${journal}`);
    sqlite.pragma(`cache_size=${cacheSize}`);
  };
}

/** Columns the load itself looks rows up by: indexes leading with them stay in place. */
const LOOKUP_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  patient: ['chart_number'],
};

/**
 * Drops the non-unique indexes of the loaded tables, except those the load looks rows up by;
 * returns the SQL that recreates them.
 */
function dropSecondaryIndexes(sqlite: SqliteDatabase): string[] {
  const rows = sqlite
    .prepare(
      `SELECT name, tbl_name AS tableName, sql FROM sqlite_schema
       WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${LOADED_TABLES.map(() => '?').join(', ')})`,
    )
    .all(...LOADED_TABLES) as Array<{ name: string; tableName: string; sql: string }>;
  const leadingColumn = sqlite.prepare('SELECT name FROM pragma_index_info(?) WHERE seqno = 0');
  const dropped: string[] = [];
  for (const { name, tableName, sql } of rows) {
    // Unique indexes are constraints; lookup indexes keep each lookup a seek, not a scan.
    if (/^CREATE\s+UNIQUE\b/i.test(sql)) continue;
    const first = leadingColumn.pluck().get(name) as string | undefined;
    if (first && LOOKUP_COLUMNS[tableName]?.includes(first)) continue;
    sqlite.exec(`DROP INDEX "${name.replace(/"/g, '""')}"`);
    dropped.push(sql);
  }
  return dropped;
}

/** The triggers through which the appointment book learns of patient changes (migration 0003). */
const BOOK_TRIGGERS: Readonly<Record<string, { table: string; patient: string }>> = {
  patient_book_insert: { table: 'patient', patient: 'id' },
  patient_alert_book_insert: { table: 'patient_alert', patient: 'patient_id' },
};

const bookTrigger = (name: string, table: string, patient: string) =>
  `CREATE TRIGGER ${name} AFTER INSERT ON ${table} BEGIN ` +
  `UPDATE scheduling_version SET version = version + 1 WHERE name = 'patients'; ` +
  `INSERT OR REPLACE INTO scheduling_patient_change (patient_id, version) VALUES (NEW.${patient}, ` +
  `(SELECT version FROM scheduling_version WHERE name = 'patients')); END`;

/**
 * The appointment book caches what it shows of patients and learns what changed from triggers:
 * after each patient or alert insert the `patients` version goes up by one and the patient is
 * noted at the new version, two more statements for every such row. For a large load, these two
 * triggers (recognised by their exact text; changed ones keep firing) are dropped inside the load's
 * transaction, and `resume` does their work at once before putting them back: the version moves on
 * by the number of rows written and each patient written is noted at the final version, which is
 * where the last trigger to touch them would have left them. Null when there is nothing to do.
 */
function suspendBookTriggers(sqlite: SqliteDatabase): { resume(): void } | null {
  const found = sqlite
    .prepare(
      `SELECT name, tbl_name AS tableName, sql FROM sqlite_schema
       WHERE type = 'trigger' AND name IN (${Object.keys(BOOK_TRIGGERS)
         .map(() => '?')
         .join(', ')})`,
    )
    .all(...Object.keys(BOOK_TRIGGERS)) as Array<{ name: string; tableName: string; sql: string }>;
  const known = (t: { name: string; tableName: string; sql: string }) => {
    const expected = BOOK_TRIGGERS[t.name];
    return (
      expected?.table === t.tableName &&
      t.sql.replace(/\s+/g, ' ').trim() === bookTrigger(t.name, expected.table, expected.patient)
    );
  };
  if (found.length !== Object.keys(BOOK_TRIGGERS).length || !found.every(known)) return null;
  const lastRowid = (table: string) =>
    Number(sqlite.prepare(`SELECT max(rowid) FROM "${table}"`).pluck().get() ?? 0);
  const patientsAfter = lastRowid('patient');
  const alertsAfter = lastRowid('patient_alert');
  for (const t of found) sqlite.exec(`DROP TRIGGER "${t.name}"`);
  return {
    resume() {
      const rows =
        lastRowid('patient') - patientsAfter + (lastRowid('patient_alert') - alertsAfter);
      sqlite
        .prepare(`UPDATE scheduling_version SET version = version + ? WHERE name = 'patients'`)
        .run(rows);
      sqlite
        .prepare(
          `INSERT OR REPLACE INTO scheduling_patient_change (patient_id, version)
           SELECT id, (SELECT version FROM scheduling_version WHERE name = 'patients')
           FROM (SELECT id FROM patient WHERE rowid > ?
                 UNION SELECT patient_id FROM patient_alert WHERE rowid > ?)`,
        )
        .run(patientsAfter, alertsAfter);
      for (const t of found) sqlite.exec(t.sql);
    },
  };
}
