import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { RelayDialect } from '../dialect';
import * as m0001 from './0001-relay';

interface RelayMigration {
  up(db: Kysely<unknown>, dialect: RelayDialect): Promise<void>;
}

/**
 * Migrations ship as imported modules, in order, the same modules for SQLite and Postgres; each
 * gets the dialect for the few column types that differ (blob / bytea). Add new ones at the end;
 * never edit one that has shipped.
 */
export const RELAY_MIGRATIONS: Record<string, RelayMigration> = {
  '0001-relay': m0001,
};

class ImportedMigrations implements MigrationProvider {
  constructor(
    private readonly dialect: RelayDialect,
    private readonly upTo?: string,
  ) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const names = Object.keys(RELAY_MIGRATIONS);
    const end = this.upTo === undefined ? names.length - 1 : names.indexOf(this.upTo);
    if (end < 0) throw new Error(`Unknown relay migration ${this.upTo ?? ''}`);
    return Object.fromEntries(
      names.slice(0, end + 1).map((name) => {
        const m = RELAY_MIGRATIONS[name]!;
        return [name, { up: (db: Kysely<unknown>) => m.up(db, this.dialect) }];
      }),
    );
  }
}

/** Brings the relay's store to the latest schema (or to `upTo`, for migration tests). */
export async function migrateRelay(
  db: Kysely<unknown>,
  dialect: RelayDialect,
  upTo?: string,
): Promise<void> {
  // Kysely looks for its own bookkeeping tables in every schema it can see unless told which:
  // beside another relay's (or any Kysely user's) schema in the same database, it would take
  // theirs for ours and never create them here.
  const schema =
    dialect === 'postgres'
      ? (await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db)).rows[0]
          ?.schema
      : undefined;
  const migrator = new Migrator({
    db,
    provider: new ImportedMigrations(dialect, upTo),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `Relay migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
