import { REPLICATED_TABLES } from '../core/db/changes';
import { checkIntegrity, type SqliteDatabase } from '../core/db/store';
import { formatCount } from './progress';

/** One line of the verify report. `problems` is empty when the check passed. */
export interface CheckResult {
  label: string;
  detail: string;
  problems: string[];
}

const count = (db: SqliteDatabase, sql: string, ...params: unknown[]): number =>
  Number(
    db
      .prepare(sql)
      .pluck()
      .get(...params) ?? 0,
  );

/**
 * SQLite's integrity check (every page decrypted and its HMAC checked, then the B-tree structure)
 * and the foreign-key check, as short lines for people. SQLite's own messages name pages, indexes
 * and row numbers, never values.
 */
export function integrityProblems(db: SqliteDatabase): string[] {
  // SQLite may return several findings in one row, one per line.
  const reported = checkIntegrity(db)
    .flatMap((row) => row.split('\n'))
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^\*\*\* in database/.test(line));
  // SQLCipher reports a page whose HMAC fails as one SQLite cannot read (error 11, CORRUPT).
  const unreadable = reported.filter((line) =>
    /unable to get the page|error code=(11|26)\b|failed its integrity check/.test(line),
  );
  const other = reported.filter((line) => !unreadable.includes(line));
  const problems: string[] = [];
  if (unreadable.length > 0)
    problems.push(
      'a page failed its integrity check: the data file is damaged or has been tampered with',
    );
  for (const line of other.slice(0, 5)) problems.push(line);
  if (other.length > 5)
    problems.push(`and ${formatCount(other.length - 5)} more structural problem(s)`);
  return problems;
}

/** Every page decrypts and passes its HMAC; SQLite's own structure check; foreign keys. */
export function checkPages(db: SqliteDatabase): CheckResult {
  return {
    label: 'Pages decrypt, pass their integrity checks, and references between records hold',
    detail: `${formatCount(count(db, 'PRAGMA page_count'))} pages`,
    problems: integrityProblems(db),
  };
}

/**
 * Each patient not deleted has exactly one search row, no row is left for a deleted or missing
 * patient, and FTS5's own structure check passes.
 */
export function checkSearchIndex(db: SqliteDatabase): CheckResult {
  const problems: string[] = [];
  const patients = count(db, 'SELECT count(*) FROM patient WHERE deleted = 0');
  const missing = count(
    db,
    `SELECT count(*) FROM patient p WHERE p.deleted = 0 AND NOT EXISTS (
       SELECT 1 FROM patient_search_key k JOIN patient_search s ON s.rowid = k.key
       WHERE k.patient_id = p.id)`,
  );
  if (missing > 0)
    problems.push(`${formatCount(missing)} patient(s) missing from the search index`);
  const stale = count(
    db,
    `SELECT count(*) FROM patient_search s WHERE NOT EXISTS (
       SELECT 1 FROM patient_search_key k JOIN patient p ON p.id = k.patient_id
       WHERE k.key = s.rowid AND p.deleted = 0)`,
  );
  if (stale > 0)
    problems.push(`${formatCount(stale)} search row(s) for deleted or unknown patients`);
  try {
    // A command, not a change: it reads the index and raises an error when it is inconsistent.
    db.prepare(`INSERT INTO patient_search (patient_search) VALUES ('integrity-check')`).run();
  } catch {
    problems.push('the search index structure is damaged (it can be rebuilt)');
  }
  return {
    label: 'Every patient is in the search index, and nothing else is',
    detail: `${formatCount(patients)} patients`,
    problems,
  };
}

/**
 * Every row of a replicated table has a change record, carries the HLC of its latest change, and
 * the persisted clock is not behind any change (so the next stamp is greater).
 */
export function checkChangeRecords(db: SqliteDatabase): CheckResult {
  const problems: string[] = [];
  const existing = new Set(
    db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[],
  );
  let rows = 0;
  for (const table of Object.keys(REPLICATED_TABLES)) {
    if (!existing.has(table)) continue;
    const quoted = `"${table}"`;
    rows += count(db, `SELECT count(*) FROM ${quoted}`);
    const unrecorded = count(
      db,
      `SELECT count(*) FROM ${quoted} t WHERE NOT EXISTS (
         SELECT 1 FROM change_log c WHERE c.table_name = ? AND c.row_id = t.id)`,
      table,
    );
    if (unrecorded > 0)
      problems.push(`${formatCount(unrecorded)} ${table} row(s) without a change record`);
    const restamped = count(
      db,
      // Latest by HLC, not by arrival: a change from another workstation can arrive after a
      // later one made here (sync merges by HLC, see electron/core/sync/apply.ts).
      `SELECT count(*) FROM ${quoted} t WHERE t.hlc IS NOT (
         SELECT max(c.hlc) FROM change_log c WHERE c.table_name = ? AND c.row_id = t.id)`,
      table,
    );
    if (restamped > unrecorded)
      problems.push(
        `${formatCount(restamped - unrecorded)} ${table} row(s) whose stamp differs from their latest change`,
      );
  }
  const changes = count(db, 'SELECT count(*) FROM change_log');
  const newest = db.prepare('SELECT max(hlc) FROM change_log').pluck().get() as string | null;
  const clock = db.prepare('SELECT last FROM hlc_state WHERE id = 1').pluck().get() as
    string | undefined;
  // Compare wall time and counter only: the node part orders ties, not causality.
  if (newest && (!clock || clock.slice(0, 17) < newest.slice(0, 17)))
    problems.push('the saved clock is behind the newest change');
  return {
    label: 'Every record has its change record and stamp; the clock is ahead of every change',
    detail: `${formatCount(rows)} records, ${formatCount(changes)} changes`,
    problems,
  };
}
