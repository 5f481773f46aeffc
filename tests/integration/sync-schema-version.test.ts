import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { REPLICATED_TABLES } from '../../electron/core/db/changes';
import { createKysely } from '../../electron/core/db/kysely';
import {
  LOCAL_ONLY_MIGRATIONS,
  migrate,
  MIGRATIONS,
  SCHEMA_VERSION,
} from '../../electron/core/db/migrations';
import { createStore, type SqliteDatabase } from '../../electron/core/db/store';
import { storePaths } from '../../electron/core/paths';
import { tempDir } from '../support/core';

/** Every replicated table's columns with their types, as the store holds them. */
function replicatedShape(sqlite: SqliteDatabase): string {
  const shape: Record<string, unknown> = {};
  for (const table of Object.keys(REPLICATED_TABLES))
    shape[table] = sqlite
      .prepare(`SELECT name, type, "notnull" FROM pragma_table_info(?)`)
      .all(table);
  return JSON.stringify(shape);
}

describe('the sync schema version', () => {
  const names = Object.keys(MIGRATIONS);

  it('counts the migrations that change what sync carries, and no others', () => {
    for (const name of LOCAL_ONLY_MIGRATIONS) expect(names).toContain(name);
    expect(SCHEMA_VERSION).toBe(names.length - LOCAL_ONLY_MIGRATIONS.size);
  });

  it.each([...LOCAL_ONLY_MIGRATIONS])(
    '%s leaves every replicated table and column as it was',
    async (name) => {
      const sqlite = createStore(storePaths(tempDir()).database, crypto.randomBytes(32));
      const db = createKysely(sqlite) as unknown as Kysely<unknown>;
      try {
        const previous = names[names.indexOf(name) - 1];
        if (previous) await migrate(db, previous);
        const before = replicatedShape(sqlite);
        await migrate(db, name);
        expect(replicatedShape(sqlite)).toBe(before);
      } finally {
        await db.destroy();
      }
    },
  );
});
