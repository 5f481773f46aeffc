import { todayIn } from '../../../shared/dates';
import { AppError } from '../../../shared/errors';
import { BulkRecorder } from '../db/changes';
import type { SqliteDatabase } from '../db/store';
import { insertPatientsBulk, type NewPatientRecord } from '../services/patients';
import type { OpenStore } from '../store-session';
import { DEFAULT_SEED_VALUE, PatientGenerator } from './generate';
import { bulkIdFactory } from './ids';

export interface SeedOptions {
  count: number;
  seedValue?: string;
  /** Ages are counted from this day; today in the clinic's time zone by default. */
  today?: string;
  /** Patients generated and written per step (progress is reported after each). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  newId?: () => string;
}

export interface SeedSummary {
  patients: number;
  phones: number;
  alerts: number;
  documents: number;
  insurancePolicies: number;
  minorsWithGuardian: number;
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

/** Below this many new patients, maintaining the indexes row by row is cheaper than rebuilding. */
const REBUILD_INDEXES_FROM = 5_000;

/** Patients per transaction: bounds the memory a transaction holds (about 7 kB a patient). */
const PATIENTS_PER_TRANSACTION = 200_000;

/**
 * Adds `count` generated patients to an open store as `actorId`. Every record is written the way
 * the app writes it (HLC stamp, change_log entry, audit event, search row), through prepared
 * statements in large transactions. A failure rolls back the transaction in progress.
 *
 * For speed on large loads, and only for the duration of the load, the store uses a rollback
 * journal instead of its write-ahead log (each page is then encrypted and written once rather than
 * three times), a page cache large enough to hold the transaction, and secondary indexes dropped
 * and recreated inside the same transaction (so they can never be left missing). The store is back
 * in WAL mode with its usual cache when this returns or throws.
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
  const generator = new PatientGenerator({
    seedValue: options.seedValue ?? DEFAULT_SEED_VALUE,
    country: clinic.country,
    locale: clinic.locale,
    ageOfConsent: clinic.ageOfConsent,
    today: options.today ?? todayIn(clinic.timeZone, new Date(now())),
    newId,
  });
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
  };
  const total = options.count;
  options.onProgress?.(0, total);
  if (total <= 0) return summary;

  const restore = prepareForLoad(sqlite, Math.min(total, PATIENTS_PER_TRANSACTION));
  try {
    while (summary.patients < total) {
      const inThisTransaction = Math.min(PATIENTS_PER_TRANSACTION, total - summary.patients);
      const rebuild = inThisTransaction >= REBUILD_INDEXES_FROM;
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        const recorder = await BulkRecorder.create(sqlite, writer, newId);
        const indexes = rebuild ? dropSecondaryIndexes(sqlite) : [];
        let written = 0;
        while (written < inThisTransaction) {
          const size = Math.min(batchSize, inThisTransaction - written);
          const batch = new Array<NewPatientRecord>(size);
          for (let i = 0; i < size; i++) {
            const p = generator.next();
            batch[i] = p;
            summary.phones += p.data.phones.length;
            summary.alerts += p.data.alerts.length;
            summary.documents += p.data.documents.length;
            summary.insurancePolicies += p.data.insurance.length;
            if (p.data.guardian) summary.minorsWithGuardian += 1;
          }
          insertPatientsBulk(sqlite, recorder, batch, writer.now().toISOString());
          written += size;
          options.onProgress?.(summary.patients + written, total);
        }
        recorder.finish();
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
  // About 7 kB of pages a patient (rows, change records, audit events, indexes), with headroom;
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
