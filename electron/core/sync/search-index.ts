import type BetterSqlite3 from 'better-sqlite3-multiple-ciphers';
import { phoneSearchKeys } from '../../../shared/phone';
import { foldText, tokenize } from '../../../shared/text';
import type { SqliteDatabase } from '../db/store';

type Statement = BetterSqlite3.Statement<unknown[]>;

/**
 * The search row and list key of patients whose names or phones arrived from another
 * workstation. The same rows as `reindexPatient` and `nameKey` in services/patients.ts (the
 * sync tests compare search results on both sides), written synchronously with prepared
 * statements inside the apply transaction: a bootstrap reindexes tens of thousands of patients.
 */
export class SearchIndexer {
  private readonly patient: Statement;
  private readonly keyOf: Statement;
  private readonly addKey: Statement;
  private readonly dropRow: Statement;
  private readonly addRow: Statement;
  private readonly phones: Statement;
  private readonly setNameKey: Statement;
  private readonly tokens = memoise(tokenize);
  private readonly fold = memoise(foldText);
  private readonly phoneKeys = memoise((e164: string) => phoneSearchKeys(e164).join(' '));

  constructor(sqlite: SqliteDatabase) {
    this.patient = sqlite.prepare(
      `SELECT given_names, family_name, patronymic, preferred_name, deleted, name_key
       FROM patient WHERE id = ?`,
    );
    this.keyOf = sqlite.prepare('SELECT key FROM patient_search_key WHERE patient_id = ?').pluck();
    this.addKey = sqlite.prepare('INSERT INTO patient_search_key (patient_id) VALUES (?)');
    this.dropRow = sqlite.prepare('DELETE FROM patient_search WHERE rowid = ?');
    this.addRow = sqlite.prepare(
      'INSERT INTO patient_search (rowid, names, phones) VALUES (?, ?, ?)',
    );
    this.phones = sqlite
      .prepare('SELECT e164 FROM patient_phone WHERE patient_id = ? AND deleted = 0')
      .pluck();
    this.setNameKey = sqlite.prepare('UPDATE patient SET name_key = ? WHERE id = ?');
  }

  /**
   * Works out, ahead of time, what indexing these values will need (folded names, name tokens,
   * phone search keys: parsing a phone number costs ~50 µs), so that work is done outside the
   * transaction that applies them and the store is held for less.
   */
  warm(table: string, columns: Readonly<Record<string, unknown>>): void {
    if (table === 'patient') {
      for (const name of ['given_names', 'family_name', 'patronymic', 'preferred_name']) {
        const value = columns[name];
        if (typeof value === 'string' && value) this.tokens(value);
      }
      for (const name of ['given_names', 'family_name']) {
        const value = columns[name];
        if (typeof value === 'string') this.fold(value);
      }
    } else if (table === 'patient_phone' && typeof columns.e164 === 'string') {
      this.phoneKeys(columns.e164);
    }
  }

  /** `nameKey` of services/patients.ts: folded family and given names, for list order. */
  nameKey(family: string, given: string): string {
    return `${this.fold(family)}\u0001${this.fold(given)}`;
  }

  reindex(patientId: string): void {
    const p = this.patient.get(patientId) as
      | {
          given_names: string;
          family_name: string;
          patronymic: string | null;
          preferred_name: string | null;
          deleted: number;
          name_key: string;
        }
      | undefined;
    let key = this.keyOf.get(patientId) as number | bigint | undefined;
    if (key !== undefined) this.dropRow.run(key);
    if (!p) return;
    const nameKey = this.nameKey(p.family_name, p.given_names);
    if (nameKey !== p.name_key) this.setNameKey.run(nameKey, patientId);
    if (p.deleted) return;
    if (key === undefined) key = this.addKey.run(patientId).lastInsertRowid;
    const names: string[] = [];
    for (const part of [p.given_names, p.family_name, p.patronymic, p.preferred_name])
      if (part) names.push(...this.tokens(part));
    const phones = (this.phones.all(patientId) as string[]).map((e) => this.phoneKeys(e));
    this.addRow.run(key, names.join(' '), phones.filter((k) => k.length > 0).join(' '));
  }
}

function memoise<T>(fn: (s: string) => T): (s: string) => T {
  const cache = new Map<string, T>();
  return (s) => {
    let value = cache.get(s);
    if (value === undefined) {
      value = fn(s);
      if (cache.size > 50_000) cache.clear();
      cache.set(s, value);
    }
    return value;
  };
}
