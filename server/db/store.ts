import Database from 'better-sqlite3-multiple-ciphers';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { RelayDialect } from './dialect';
import { migrateRelay } from './migrations';
import type { RelayDatabase } from './schema';

export type RelayDb = Kysely<RelayDatabase>;

export type RelayStoreConfig =
  | { kind: 'sqlite'; file: string }
  | {
      kind: 'postgres';
      url: string;
      /** Tables live in this schema (tests give each run its own); `public` otherwise. */
      schema?: string;
      poolSize?: number;
    };

/** An open, migrated store. `close()` ends the pool or closes the file. */
export interface RelayStore {
  db: RelayDb;
  dialect: RelayDialect;
  /**
   * The SQLite connection under `db`, for the message log's bulk inserts (see message-log.ts);
   * null on Postgres. Kysely runs every query on this one connection, so statements run here
   * inside a Kysely transaction are part of it.
   */
  sqlite: SqliteHandle | null;
  close(): Promise<void>;
}

export type SqliteHandle = InstanceType<typeof Database>;

const PG_INT8 = 20;

/** Sequences and times are bigint columns; every value the relay stores stays below 2^53. */
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === PG_INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

function openSqlite(file: string): { db: RelayDb; sqlite: SqliteHandle } {
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode=WAL');
  // A push is acknowledged only once it is durable: devices forget what the relay has accepted.
  sqlite.pragma('synchronous=FULL');
  sqlite.pragma('foreign_keys=ON');
  // A shred must not leave the shredded ciphertext in free pages.
  sqlite.pragma('secure_delete=ON');
  sqlite.pragma('trusted_schema=OFF');
  sqlite.pragma('busy_timeout=5000');
  sqlite.pragma('cache_size=-32768');
  return {
    db: new Kysely<RelayDatabase>({ dialect: new SqliteDialect({ database: sqlite }) }),
    sqlite,
  };
}

function openPostgres(url: string, schema: string | undefined, poolSize: number): RelayDb {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new Error('A Postgres schema name must be lower-case letters, digits and "_"');
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types: pgTypes,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  return new Kysely<RelayDatabase>({ dialect: new PostgresDialect({ pool }) });
}

function connect(config: RelayStoreConfig): { db: RelayDb; sqlite: SqliteHandle | null } {
  return config.kind === 'sqlite'
    ? openSqlite(config.file)
    : { db: openPostgres(config.url, config.schema, config.poolSize ?? 10), sqlite: null };
}

/** Connects without migrating (migration tests start from an empty store). */
export function connectRelayDb(config: RelayStoreConfig): RelayDb {
  return connect(config).db;
}

/**
 * Opens the store and brings it to the latest schema.
 *
 * @example
 * const store = await openRelayStore(process.env.DATABASE_URL
 *   ? { kind: 'postgres', url: process.env.DATABASE_URL }
 *   : { kind: 'sqlite', file: 'relay.sqlite' });
 */
export async function openRelayStore(config: RelayStoreConfig): Promise<RelayStore> {
  const { db, sqlite } = connect(config);
  try {
    await migrateRelay(db as Kysely<unknown>, config.kind);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, dialect: config.kind, sqlite, close: () => db.destroy() };
}

/** A unique or primary key was violated (two writers raced for the same id). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}
