import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import * as m0001 from './0001-initial';
import * as m0002 from './0002-staff-audit';
import * as m0003 from './0003-scheduling';
import * as m0004 from './0004-sync';
import * as m0007 from './0007-book-lookback';

/**
 * Migrations ship as imported modules, in order (Kysely's folder loader breaks once bundled).
 * Add new ones at the end; never edit one that has shipped.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-staff-audit': m0002,
  '0003-scheduling': m0003,
  '0004-sync': m0004,
  '0007-book-lookback': m0007,
};

/**
 * Migrations that change no replicated table or column (indexes, local caches): what sync carries
 * is the same before and after them, so they do not raise the sync schema version.
 */
export const LOCAL_ONLY_MIGRATIONS: ReadonlySet<string> = new Set(['0007-book-lookback']);

/**
 * The schema version stamped on every sync message: the number of migrations that changed what
 * sync carries. A workstation quarantines messages of a higher version until it is upgraded, so an
 * index-only migration must not hold back the workstations that have not installed it yet.
 */
export const SCHEMA_VERSION = Object.keys(MIGRATIONS).filter(
  (n) => !LOCAL_ONLY_MIGRATIONS.has(n),
).length;

class ImportedMigrations implements MigrationProvider {
  constructor(private readonly upTo?: string) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    if (!this.upTo) return MIGRATIONS;
    const names = Object.keys(MIGRATIONS);
    const end = names.indexOf(this.upTo);
    if (end < 0) throw new Error(`Unknown migration ${this.upTo}`);
    return Object.fromEntries(names.slice(0, end + 1).map((n) => [n, MIGRATIONS[n]!]));
  }
}

/** Brings the store to the latest schema (or to `upTo`, for migration tests). */
export async function migrate(db: Kysely<unknown>, upTo?: string): Promise<void> {
  const migrator = new Migrator({ db, provider: new ImportedMigrations(upTo) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    // Keep the cause: a damaged page read while migrating must still surface as STORE_CORRUPT.
    throw new Error(
      `Migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
