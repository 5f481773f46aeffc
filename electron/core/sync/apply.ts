import type BetterSqlite3 from 'better-sqlite3-multiple-ciphers';
import { decodeHlc } from '../../../shared/hlc';
import { INSERT_ONLY_TABLES, REPLICATED_TABLES, type ReplicatedTable } from '../db/changes';
import type { SqliteDatabase } from '../db/store';
import { SearchIndexer } from './search-index';

/**
 * Merging changes from other workstations into the local store.
 *
 * The store's state is a function of the set of changes it has seen, whatever their order or
 * repetition, so every replica that has seen the same changes holds the same data:
 *
 * - Each column of a row takes the value of the change with the highest HLC that wrote it (last
 *   writer wins, per column). A row's `hlc` is the highest HLC of any change to it.
 * - `change_log` records every change applied, local or remote, with its HLC: it is what "the
 *   highest HLC that wrote this column" is read from when an older change arrives late, and what
 *   makes a repeat recognisable (the same row and HLC), so applying a change twice is a no-op.
 * - Deletes are the `deleted` column (a tombstone), merged like any other.
 * - Rows of insert-only tables (status changes, acknowledgements) are written once, never changed.
 * - An update that arrives before its row's insert is recorded and waits; when the insert comes,
 *   the row is built from every recorded change, column by column.
 *
 * Remote rows get `created_at` and `updated_at` from the HLC of their changes, so those are the
 * same on every replica too. The caller holds the transaction (see pull.ts).
 */
export type Value = string | number | null;

export interface RemoteChange {
  table: ReplicatedTable;
  rowId: string;
  subject: string | null;
  hlc: string;
  /** The workstation that made the change (its relay id). */
  device: string;
  author: string | null;
  operation: 'insert' | 'update' | 'delete';
  columns: Record<string, Value>;
}

/**
 * What arrived for one patient (or, with `subject` null, for clinic-wide rows) from one member
 * of staff, for the audit trail: the fields written, as `table.column`, and the rows.
 */
export interface ReceivedGroup {
  subject: string | null;
  author: string | null;
  readonly fields: Set<string>;
  /** Rows written, as `table` NUL `rowId`. */
  readonly rows: Set<string>;
}

/** What one batch of changes touched, for search, events and the audit trail. */
export class ApplyOutcome {
  applied = 0;
  repeated = 0;
  ignored = 0;
  /** Patients whose own row or sub-records changed. */
  readonly patients = new Set<string>();
  readonly tables = new Set<string>();
  /** Per subject and author, in the order first seen. */
  readonly received = new Map<string, ReceivedGroup>();

  note(change: RemoteChange, columns: Readonly<Record<string, Value>>): void {
    this.applied += 1;
    this.tables.add(change.table);
    if (change.subject !== null && PATIENT_TABLES.has(change.table))
      this.patients.add(change.subject);
    const key = `${change.subject ?? ''}\u0000${change.author ?? ''}`;
    let group = this.received.get(key);
    if (!group) {
      group = {
        subject: change.subject,
        author: change.author,
        fields: new Set(),
        rows: new Set(),
      };
      this.received.set(key, group);
    }
    for (const name in columns) group.fields.add(`${change.table}.${name}`);
    group.rows.add(`${change.table}\u0000${change.rowId}`);
  }
}

/** Tables whose rows are a patient's record (what search and the patient screens show). */
export const PATIENT_TABLES: ReadonlySet<string> = new Set([
  'patient',
  'patient_phone',
  'patient_document',
  'patient_insurance',
  'patient_alert',
]);

type Statement = BetterSqlite3.Statement<unknown[]>;

interface HistoryEntry {
  hlc: string;
  operation: string;
  columns: string;
  payload: string;
}

const isoOfHlc = (hlc: string) => new Date(decodeHlc(hlc).millis).toISOString();

/** What applying a change needs that does not depend on the store (see `prepare`). */
interface Prepared {
  /** The change's columns that this version writes (its table's, and the tombstone). */
  columns: Record<string, Value>;
  /** change_log's `columns` and `payload`: the names, and the columns, as JSON. */
  names: string;
  payload: string;
  /** The change's HLC as a time: `updated_at` (and `created_at` of a new row), `recorded_at`. */
  at: string;
}

/** Prepared statements per store, for the many small writes of a bootstrap. */
export class ChangeApplier {
  private readonly currentHlc = new Map<string, Statement>();
  private readonly inserts = new Map<string, Statement>();
  private readonly updates = new Map<string, Statement>();
  private readonly history: Statement;
  private readonly record: Statement;
  private readonly allowed = new Map<string, ReadonlySet<string>>();
  private readonly prepared = new WeakMap<RemoteChange, Prepared>();
  readonly search: SearchIndexer;

  constructor(private readonly sqlite: SqliteDatabase) {
    this.history = sqlite.prepare(
      'SELECT hlc, operation, columns, payload FROM change_log WHERE table_name = ? AND row_id = ?',
    );
    this.record = sqlite.prepare(
      `INSERT INTO change_log (hlc, author_id, device_id, table_name, row_id, subject_id,
         operation, columns, payload, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.search = new SearchIndexer(sqlite);
  }

  /** Columns a change may write: the table's replicated columns and the tombstone. */
  private columnsOf(table: ReplicatedTable): ReadonlySet<string> {
    let set = this.allowed.get(table);
    if (!set) {
      set = new Set([...REPLICATED_TABLES[table].columns, 'deleted']);
      this.allowed.set(table, set);
    }
    return set;
  }

  private statement(cache: Map<string, Statement>, key: string, sql: () => string): Statement {
    let s = cache.get(key);
    if (!s) {
      s = this.sqlite.prepare(sql());
      // Single-column reads answer the value itself; writes are unaffected.
      if (s.reader && s.columns().length === 1) s.pluck();
      cache.set(key, s);
    }
    return s;
  }

  /**
   * What applying `changes` will compute that does not depend on the store, computed now: call it
   * before the transaction, so the transaction holds the store for the writes alone.
   */
  prepare(changes: Iterable<RemoteChange>): void {
    for (const change of changes) this.preparedOf(change);
  }

  /** Null for a table this version does not replicate. */
  private preparedOf(change: RemoteChange): Prepared | null {
    let p = this.prepared.get(change);
    if (p) return p;
    if (!Object.prototype.hasOwnProperty.call(REPLICATED_TABLES, change.table)) return null;
    const allowed = this.columnsOf(change.table);
    const columns: Record<string, Value> = {};
    for (const name in change.columns) if (allowed.has(name)) columns[name] = change.columns[name]!;
    this.search.warm(change.table, columns);
    p = {
      columns,
      names: JSON.stringify(Object.keys(columns)),
      payload: JSON.stringify(columns),
      at: isoOfHlc(change.hlc),
    };
    this.prepared.set(change, p);
    return p;
  }

  /** Applies one change; returns whether it changed anything (false: a repeat or ignored). */
  apply(change: RemoteChange, outcome: ApplyOutcome): boolean {
    const { table, rowId, hlc } = change;
    const prepared = this.preparedOf(change);
    if (!prepared) {
      outcome.ignored += 1;
      return false;
    }
    const allowed = this.columnsOf(table);
    const columns = prepared.columns;
    const current = this.statement(
      this.currentHlc,
      table,
      () => `SELECT hlc FROM "${table}" WHERE id = ?`,
    ).get(rowId) as string | undefined;

    if (INSERT_ONLY_TABLES.has(table)) {
      if (current !== undefined) {
        outcome.repeated += 1;
        return false;
      }
      if (change.operation !== 'insert') {
        outcome.ignored += 1;
        return false;
      }
      this.insertRow(table, rowId, columns, hlc, prepared.at, prepared.at);
      this.recordChange(change, prepared);
      outcome.note(change, columns);
      return true;
    }

    if (current !== undefined && hlc > current) {
      // Newer than every change this row has seen: every column it carries wins.
      this.updateRow(table, rowId, columns, { hlc, at: prepared.at });
    } else if (current !== undefined && hlc === current) {
      outcome.repeated += 1;
      return false;
    } else {
      const history = this.history.all(table, rowId) as HistoryEntry[];
      if (history.some((e) => e.hlc === hlc)) {
        outcome.repeated += 1;
        return false;
      }
      if (current !== undefined) {
        // Older than the row's latest change: only columns no later change wrote.
        const newest = newestPerColumn(history);
        const winners: Record<string, Value> = {};
        for (const [name, value] of Object.entries(columns)) {
          const rival = newest.get(name);
          if (rival === undefined || hlc > rival.hlc) winners[name] = value;
        }
        if (Object.keys(winners).length > 0) this.updateRow(table, rowId, winners, null);
      } else if (history.length === 0 && change.operation === 'insert') {
        this.insertRow(table, rowId, columns, hlc, prepared.at, prepared.at);
      } else {
        const entries: HistoryEntry[] = [
          ...history,
          {
            hlc,
            operation: change.operation,
            columns: prepared.names,
            payload: prepared.payload,
          },
        ];
        const inserted = entries.filter((e) => e.operation === 'insert');
        // Without its insert the row cannot be built yet: the change waits in change_log.
        if (inserted.length > 0) {
          const merged: Record<string, Value> = {};
          for (const [name, entry] of newestPerColumn(entries))
            if (allowed.has(name)) merged[name] = entry.value;
          const top = entries.reduce((a, e) => (e.hlc > a ? e.hlc : a), hlc);
          const born = inserted.reduce((a, e) => (e.hlc < a ? e.hlc : a), inserted[0]!.hlc);
          this.insertRow(table, rowId, merged, top, isoOfHlc(born), isoOfHlc(top));
        }
      }
    }
    this.recordChange(change, prepared);
    outcome.note(change, columns);
    return true;
  }

  /** A new row stamped `hlc`, created and last changed at the times given. */
  private insertRow(
    table: ReplicatedTable,
    rowId: string,
    columns: Record<string, Value>,
    hlc: string,
    createdAt: string,
    updatedAt: string,
  ): void {
    const values: Record<string, Value> = { ...columns };
    if (table === 'patient') {
      values.name_key = this.search.nameKey(
        String(values.family_name ?? ''),
        String(values.given_names ?? ''),
      );
    }
    const names = Object.keys(values);
    const statement = this.statement(
      this.inserts,
      `${table}\u0000${names.join(',')}`,
      () =>
        `INSERT INTO "${table}" (${[...names, 'id', 'hlc', 'created_at', 'updated_at']
          .map((n) => `"${n}"`)
          .join(', ')}) VALUES (${[...names, 'id', 'hlc', 'created_at', 'updated_at']
          .map(() => '?')
          .join(', ')})`,
    );
    statement.run(...names.map((n) => values[n]), rowId, hlc, createdAt, updatedAt);
  }

  /** Writes columns; with `stamp`, also the row's stamp (a change newer than the row). */
  private updateRow(
    table: ReplicatedTable,
    rowId: string,
    columns: Record<string, Value>,
    stamp: { hlc: string; at: string } | null,
  ): void {
    const names = Object.keys(columns);
    if (names.length === 0 && !stamp) return;
    const statement = this.statement(
      this.updates,
      `${table}\u0000${stamp ? 1 : 0}\u0000${names.join(',')}`,
      () =>
        `UPDATE "${table}" SET ${[
          ...names.map((n) => `"${n}" = ?`),
          ...(stamp ? ['hlc = ?', 'updated_at = ?'] : []),
        ].join(', ')} WHERE id = ?`,
    );
    const values = names.map((n) => columns[n]);
    if (stamp) statement.run(...values, stamp.hlc, stamp.at, rowId);
    else statement.run(...values, rowId);
  }

  private recordChange(change: RemoteChange, prepared: Prepared): void {
    this.record.run(
      change.hlc,
      change.author,
      change.device,
      change.table,
      change.rowId,
      change.subject,
      change.operation,
      prepared.names,
      prepared.payload,
      prepared.at,
    );
  }
}

/** For each column, the value written by the change with the highest HLC. */
function newestPerColumn(
  entries: readonly HistoryEntry[],
): Map<string, { hlc: string; value: Value }> {
  const out = new Map<string, { hlc: string; value: Value }>();
  for (const e of entries) {
    let payload: Record<string, Value>;
    try {
      payload = JSON.parse(e.payload) as Record<string, Value>;
    } catch {
      continue;
    }
    for (const [name, value] of Object.entries(payload)) {
      const known = out.get(name);
      if (known === undefined || e.hlc > known.hlc) out.set(name, { hlc: e.hlc, value });
    }
  }
  return out;
}
