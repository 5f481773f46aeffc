/**
 * How the appointment book's hot reads (a day or a week of the book, the conflict set of a day,
 * the free-slot search) reach SQLite.
 *
 * Design:
 * - A day of the book is a handful of statements, and building, compiling and preparing each one
 *   through Kysely cost about as much as running it. With the raw handle (Core's contexts carry
 *   it), each text is prepared once per connection and run while the view holds Kysely's
 *   connection: no read runs inside a transaction another command has open, and the statements
 *   of one view see one state of the store. Without the handle, or inside the caller's
 *   transaction, the same SQL goes through Kysely.
 * - Only fixed texts are prepared (lists travel as one JSON parameter), so the cache stays small.
 * - Nothing under `reading` may use `ctx.db` itself, nor call `reading` again (`loadSetup` does:
 *   use `setupFrom`): the connection is taken, so it would wait for ever. Kysely reads use the
 *   reader's `db`.
 */
import type BetterSqlite3 from 'better-sqlite3-multiple-ciphers';
import { CompiledQuery } from 'kysely';
import type { Executor } from '../db/kysely';
import type { SqliteDatabase } from '../db/store';
import type { ServiceContext } from './context';

/** Runs one statement (SQL text with `?` parameters) and returns its rows. */
export type Rows = <R>(text: string, params?: readonly unknown[]) => Promise<R[]>;

export interface Reader {
  rows: Rows;
  /** Kysely on the same connection or transaction, for the reads that are not hot. */
  db: Executor;
  /** False inside a transaction: what it reads may still be rolled back, so is not cached. */
  committed: boolean;
}

type Statement = BetterSqlite3.Statement<unknown[]>;

const statements = new WeakMap<SqliteDatabase, Map<string, Statement>>();

function prepared(sqlite: SqliteDatabase, text: string): Statement {
  let cache = statements.get(sqlite);
  if (!cache) statements.set(sqlite, (cache = new Map()));
  let statement = cache.get(text);
  if (!statement) {
    statement = sqlite.prepare(text);
    cache.set(text, statement);
  }
  return statement;
}

/** Reads through Kysely on `db` (in its transaction when it is one). */
export function readerIn(db: Executor): Reader {
  return {
    db,
    rows: async <R>(text: string, params: readonly unknown[] = []) =>
      (await db.executeQuery<R>(CompiledQuery.raw(text, [...params]))).rows,
    committed: !db.isTransaction,
  };
}

/** Runs the reads of one view, holding the connection for all of them (see above). */
export async function reading<T>(
  ctx: ServiceContext,
  read: (reader: Reader) => Promise<T>,
): Promise<T> {
  const sqlite = ctx.sqlite;
  if (!sqlite) return read(readerIn(ctx.db));
  const rows = async <R>(text: string, params: readonly unknown[] = []) =>
    prepared(sqlite, text).all(...params) as R[];
  return ctx.db.connection().execute((db) => read({ db, rows, committed: true }));
}
