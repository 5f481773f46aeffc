import { sql, type Transaction } from 'kysely';
import type { RelayDatabase } from './schema';
import type { SqliteHandle, RelayStore } from './store';
import type { NewMessage } from './tables/message';
import type { NewReceipt } from './tables/receipt';

type Tx = Transaction<RelayDatabase>;

const MESSAGE_COLUMNS = [
  'bucket_id',
  'server_seq',
  'v',
  'device_id',
  'device_seq',
  'hlc',
  'table_name',
  'row_id',
  'subject',
  'op',
  'schema_version',
  'key_id',
  'payload',
  'digest',
  'received_at',
] as const satisfies ReadonlyArray<keyof NewMessage>;

const RECEIPT_COLUMNS = [
  'device_id',
  'device_seq',
  'bucket_id',
  'server_seq',
  'digest',
] as const satisfies ReadonlyArray<keyof NewReceipt>;

/** Postgres array type of each column, for `unnest`. */
const PG_MESSAGE_TYPES = [
  'text',
  'bigint',
  'integer',
  'text',
  'bigint',
  'text',
  'text',
  'text',
  'text',
  'text',
  'integer',
  'text',
  'bytea',
  'text',
  'bigint',
];
const PG_RECEIPT_TYPES = ['text', 'bigint', 'text', 'bigint', 'text'];

const statements = new WeakMap<SqliteHandle, Map<string, ReturnType<SqliteHandle['prepare']>>>();

function prepared(sqlite: SqliteHandle, text: string) {
  let cache = statements.get(sqlite);
  if (!cache) statements.set(sqlite, (cache = new Map()));
  let statement = cache.get(text);
  if (!statement) cache.set(text, (statement = sqlite.prepare(text)));
  return statement;
}

/**
 * Appends rows to the message log (and receipts of discarded changes): the relay's hot path. A push of 1,000 changes
 * through the query builder would compile and prepare a 14,000-parameter statement each time;
 * instead SQLite reuses one prepared single-row insert, and Postgres takes one column array per
 * field through `unnest`. Both run inside the caller's transaction.
 */
async function appendRows<R extends object>(
  store: RelayStore,
  tx: Tx,
  table: 'message' | 'receipt',
  columns: ReadonlyArray<keyof R & string>,
  pgTypes: readonly string[],
  rows: readonly R[],
): Promise<void> {
  if (rows.length === 0) return;
  if (store.sqlite) {
    const insert = prepared(
      store.sqlite,
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    );
    for (const row of rows) insert.run(columns.map((c) => row[c] ?? null));
    return;
  }
  const arrays = columns.map(
    (c, i) => sql`${rows.map((r) => r[c] ?? null)}::${sql.raw(pgTypes[i]!)}[]`,
  );
  await sql`INSERT INTO ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
    SELECT * FROM unnest(${sql.join(arrays)})`.execute(tx);
}

export function appendMessages(store: RelayStore, tx: Tx, rows: readonly NewMessage[]) {
  return appendRows(store, tx, 'message', MESSAGE_COLUMNS, PG_MESSAGE_TYPES, rows);
}

export function appendReceipts(store: RelayStore, tx: Tx, rows: readonly NewReceipt[]) {
  return appendRows(store, tx, 'receipt', RECEIPT_COLUMNS, PG_RECEIPT_TYPES, rows);
}
