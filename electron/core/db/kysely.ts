import { Kysely, SqliteDialect, type Transaction } from 'kysely';
import type { Database } from './schema';
import type { SqliteDatabase } from './store';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Repository functions take either the database or a transaction first. */
export type Executor = Db | Tx;

export function createKysely(sqlite: SqliteDatabase): Db {
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
}
