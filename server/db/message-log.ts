import type Database from 'better-sqlite3-multiple-ciphers';
import { sql, type Transaction } from 'kysely';
import type { DeviceStatus } from '../../shared/sync/protocol';
import type { RelayDatabase } from './schema';
import type { SqliteHandle, RelayStore } from './store';
import type { NewMessage } from './tables/message';
import type { NewReceipt } from './tables/receipt';

type Tx = Transaction<RelayDatabase>;

/** A pushing device as its row stood when the accepting transaction locked it. */
export interface LockedDevice {
  status: DeviceStatus;
  contiguous: number;
  highest: number;
}

/** What an accepting transaction reads once it holds its locks. */
export interface LockedBucket {
  /** The bucket's last server_seq. */
  counter: number;
  /** The pushing devices that still exist, as locked. */
  devices: Map<string, LockedDevice>;
  /** Those of the asked subjects that have a shred in the bucket. */
  shredded: Set<string>;
}

/** Everything an accepting transaction stores, written in one go at its end. */
export interface LogWrite {
  bucket: string;
  /** The bucket's new last server_seq, or null when it did not move. */
  counter: number | null;
  messages: readonly NewMessage[];
  /** Receipts of changes acknowledged but not kept (their subject was already shredded). */
  receipts: readonly NewReceipt[];
  /**
   * Subjects shredded by these messages: every stored message of each in the bucket except
   * shreds is deleted, leaving a receipt so a replay of a shredded change is recognised.
   */
  shreds: readonly string[];
  /** Devices whose watermarks moved. */
  devices: ReadonlyArray<{ id: string; contiguous: number; highest: number }>;
}

/**
 * The queries of an accepting transaction (services/push.ts), one implementation per store, all
 * run inside the caller's transaction. A push of 500 changes through the query builder would
 * compile and prepare a 7,500-parameter insert and a 500-value IN list each time; instead SQLite
 * reuses cached prepared statements that take lists as one JSON parameter, and Postgres takes
 * lists as arrays or JSON and answers in as few round trips as it can, since the bucket's lock
 * is held across all of them.
 */
export interface MessageLog {
  /**
   * Locks the bucket's row, then the devices' rows in id order (so no two transactions can
   * deadlock), and reads which subjects have a shred in the bucket. Null when the bucket does not
   * exist.
   */
  lock(
    bucket: string,
    devices: readonly string[],
    subjects: readonly string[],
  ): Promise<LockedBucket | null>;
  /** Digests of these numbers of the device's that are settled: in the log or in receipts. */
  settledDigests(device: string, seqs: readonly number[]): Promise<Map<number, string>>;
  /** The device's settled numbers above `after`, ascending, at most `limit`. */
  settledAfter(device: string, after: number, limit: number): Promise<number[]>;
  write(changes: LogWrite): Promise<void>;
}

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

type Statement = Database.Statement<unknown[]>;
const statements = new WeakMap<SqliteHandle, Map<string, Statement>>();

function prepared(sqlite: SqliteHandle, text: string): Statement {
  let cache = statements.get(sqlite);
  if (!cache) statements.set(sqlite, (cache = new Map()));
  let statement = cache.get(text);
  if (!statement) cache.set(text, (statement = sqlite.prepare<unknown[]>(text)));
  return statement;
}

const insertText = (table: string, columns: readonly string[]) =>
  `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;

interface DeviceRow {
  id: string;
  status: DeviceStatus;
  contiguous_seq: number;
  highest_seq: number;
}

const lockedDevices = (rows: readonly DeviceRow[]) =>
  new Map(
    rows.map((r) => [
      r.id,
      { status: r.status, contiguous: r.contiguous_seq, highest: r.highest_seq },
    ]),
  );

/** Runs synchronous SQLite work where the interface wants a promise. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

const SQLITE = {
  bucket: 'SELECT counter FROM bucket WHERE id = ?',
  devices: `SELECT id, status, contiguous_seq, highest_seq FROM device
    WHERE id IN (SELECT value FROM json_each(?))`,
  // `op = 'shred'` as a literal, so SQLite can use the partial index of shreds.
  shredded: `SELECT DISTINCT subject FROM message
    WHERE bucket_id = ? AND op = 'shred' AND subject IN (SELECT value FROM json_each(?))`,
  settled: `SELECT device_seq, digest FROM message
    WHERE device_id = ? AND device_seq IN (SELECT value FROM json_each(?))
    UNION ALL
    SELECT device_seq, digest FROM receipt
    WHERE device_id = ? AND device_seq IN (SELECT value FROM json_each(?))`,
  settledAfter: `SELECT device_seq FROM (
      SELECT device_seq FROM (SELECT device_seq FROM message WHERE device_id = @device
        AND device_seq > @after ORDER BY device_seq LIMIT @limit)
      UNION ALL
      SELECT device_seq FROM (SELECT device_seq FROM receipt WHERE device_id = @device
        AND device_seq > @after ORDER BY device_seq LIMIT @limit)
    ) ORDER BY device_seq LIMIT @limit`,
  message: insertText('message', MESSAGE_COLUMNS),
  receipt: insertText('receipt', RECEIPT_COLUMNS),
  keepReceipts: `INSERT INTO receipt (${RECEIPT_COLUMNS.join(', ')})
    SELECT ${RECEIPT_COLUMNS.join(', ')} FROM message
    WHERE bucket_id = ? AND subject = ? AND op <> 'shred'`,
  shred: `DELETE FROM message WHERE bucket_id = ? AND subject = ? AND op <> 'shred'`,
  counter: 'UPDATE bucket SET counter = ? WHERE id = ?',
  device: 'UPDATE device SET contiguous_seq = ?, highest_seq = ? WHERE id = ?',
};

/**
 * Statements on the one SQLite connection under Kysely. Kysely holds that connection for the
 * whole transaction, so these run inside it, and the transaction is exclusive: there is nothing
 * to lock. Lists travel as one JSON text (`json_each`), which keeps each statement's text fixed
 * and its preparation cached.
 */
function sqliteLog(sqlite: SqliteHandle): MessageLog {
  const statement = (name: keyof typeof SQLITE) => prepared(sqlite, SQLITE[name]);

  return {
    lock: (bucket, devices, subjects) =>
      settle(() => {
        const row = statement('bucket').get(bucket) as { counter: number } | undefined;
        if (!row) return null;
        const rows = statement('devices').all(JSON.stringify(devices)) as DeviceRow[];
        const shredded =
          subjects.length === 0
            ? []
            : (statement('shredded').all(bucket, JSON.stringify(subjects)) as Array<{
                subject: string;
              }>);
        return {
          counter: row.counter,
          devices: lockedDevices(rows),
          shredded: new Set(shredded.map((r) => r.subject)),
        };
      }),
    settledDigests: (device, seqs) =>
      settle(() => {
        const known = new Map<number, string>();
        if (seqs.length === 0) return known;
        const wanted = JSON.stringify(seqs);
        const rows = statement('settled').all(device, wanted, device, wanted) as Array<{
          device_seq: number;
          digest: string;
        }>;
        for (const r of rows) known.set(r.device_seq, r.digest);
        return known;
      }),
    settledAfter: (device, after, limit) =>
      settle(() =>
        (
          statement('settledAfter').all({ device, after, limit }) as Array<{ device_seq: number }>
        ).map((r) => r.device_seq),
      ),
    write: (changes) =>
      settle(() => {
        const message = statement('message');
        for (const r of changes.messages)
          message.run(
            r.bucket_id,
            r.server_seq,
            r.v,
            r.device_id,
            r.device_seq,
            r.hlc,
            r.table_name,
            r.row_id,
            r.subject ?? null,
            r.op,
            r.schema_version,
            r.key_id,
            r.payload,
            r.digest,
            r.received_at,
          );
        const receipt = statement('receipt');
        for (const r of changes.receipts)
          receipt.run(r.device_id, r.device_seq, r.bucket_id, r.server_seq ?? null, r.digest);
        for (const subject of changes.shreds) {
          statement('keepReceipts').run(changes.bucket, subject);
          statement('shred').run(changes.bucket, subject);
        }
        if (changes.counter !== null) statement('counter').run(changes.counter, changes.bucket);
        for (const d of changes.devices) statement('device').run(d.contiguous, d.highest, d.id);
      }),
  };
}

/** Bytes in Postgres' hex text form, as `json_populate_recordset` reads a bytea. */
const pgHex = (bytes: Uint8Array) =>
  `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;

/** Rows as one JSON parameter for `json_populate_recordset`: bytes in Postgres' hex form. */
function asJson(rows: readonly NewMessage[]): string {
  return JSON.stringify(rows.map((r) => ({ ...r, payload: pgHex(r.payload) })));
}

/**
 * Postgres: the bucket's lock is held from the first statement to the commit, and every round
 * trip in between waits for this process' event loop, so the work is packed into few statements:
 * lock the bucket; lock the devices and read the shreds; write everything; commit.
 */
function postgresLog(tx: Tx): MessageLog {
  const list = (table: string, columns: readonly string[]) =>
    sql.join(columns.map((c) => sql.ref(`${table}.${c}`)));
  const columns = (names: readonly string[]) => sql.join(names.map((c) => sql.ref(c)));

  return {
    async lock(bucket, devices, subjects) {
      const row = await tx
        .selectFrom('bucket')
        .select('counter')
        .where('id', '=', bucket)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return null;
      // Rows are locked as the sort hands them out, so in id order. The shreds' subquery runs
      // once (it does not depend on the row), in this statement's snapshot, taken after the
      // bucket's lock: any shred committed to the bucket before is in it.
      const rows = await sql<DeviceRow & { shredded: string[] | null }>`
        SELECT id, status, contiguous_seq, highest_seq,
          (SELECT array_agg(DISTINCT subject) FROM message
            WHERE bucket_id = ${bucket} AND op = 'shred'
              AND subject = ANY(${[...subjects]}::text[])) AS shredded
        FROM device WHERE id = ANY(${[...devices]}::text[])
        ORDER BY id FOR UPDATE`.execute(tx);
      return {
        counter: row.counter,
        devices: lockedDevices(rows.rows),
        shredded: new Set(rows.rows[0]?.shredded ?? []),
      };
    },
    async settledDigests(device, seqs) {
      const known = new Map<number, string>();
      if (seqs.length === 0) return known;
      const wanted = sql<number>`ANY(${[...seqs]}::bigint[])`;
      const rows = await tx
        .selectFrom('message')
        .select(['device_seq', 'digest'])
        .where('device_id', '=', device)
        .where('device_seq', '=', wanted)
        .unionAll(
          tx
            .selectFrom('receipt')
            .select(['device_seq', 'digest'])
            .where('device_id', '=', device)
            .where('device_seq', '=', wanted),
        )
        .execute();
      for (const r of rows) known.set(r.device_seq, r.digest);
      return known;
    },
    async settledAfter(device, after, limit) {
      const following = (table: 'message' | 'receipt') =>
        tx
          .selectFrom(table)
          .select('device_seq')
          .where('device_id', '=', device)
          .where('device_seq', '>', after)
          .orderBy('device_seq')
          .limit(limit)
          .execute();
      const rows = [...(await following('message')), ...(await following('receipt'))];
      return rows
        .map((r) => r.device_seq)
        .sort((x, y) => x - y)
        .slice(0, limit);
    },
    async write(changes) {
      // One statement: sibling data-modifying CTEs all run, each on its own table.
      const parts = [];
      if (changes.messages.length > 0)
        parts.push(sql`INSERT INTO message (${columns(MESSAGE_COLUMNS)})
          SELECT ${list('r', MESSAGE_COLUMNS)}
          FROM json_populate_recordset(NULL::message, ${asJson(changes.messages)}::json) r`);
      if (changes.receipts.length > 0)
        parts.push(sql`INSERT INTO receipt (${columns(RECEIPT_COLUMNS)})
          SELECT ${list('r', RECEIPT_COLUMNS)}
          FROM json_populate_recordset(NULL::receipt, ${JSON.stringify(changes.receipts)}::json) r`);
      if (changes.counter !== null)
        parts.push(
          sql`UPDATE bucket SET counter = ${changes.counter} WHERE id = ${changes.bucket}`,
        );
      if (changes.devices.length > 0)
        parts.push(sql`UPDATE device SET contiguous_seq = d.contiguous, highest_seq = d.highest
          FROM unnest(${changes.devices.map((d) => d.id)}::text[],
            ${changes.devices.map((d) => d.contiguous)}::bigint[],
            ${changes.devices.map((d) => d.highest)}::bigint[]) AS d(id, contiguous, highest)
          WHERE device.id = d.id`);
      if (parts.length > 0)
        await sql`WITH ${sql.join(
          parts.map((part, i) => sql`${sql.raw(`w${i}`)} AS (${part})`),
        )} SELECT 1`.execute(tx);
      // After the insert, in statements of their own: a statement does not see rows its sibling
      // CTEs insert, and a shred must also erase the changes this transaction stored before it.
      for (const subject of changes.shreds) {
        await sql`INSERT INTO receipt (${columns(RECEIPT_COLUMNS)})
          SELECT ${columns(RECEIPT_COLUMNS)} FROM message
          WHERE bucket_id = ${changes.bucket} AND subject = ${subject} AND op <> 'shred'`.execute(
          tx,
        );
        await sql`DELETE FROM message
          WHERE bucket_id = ${changes.bucket} AND subject = ${subject} AND op <> 'shred'`.execute(
          tx,
        );
      }
    },
  };
}

/** The message log's queries inside `tx`, a transaction on `store`. */
export function messageLog(store: RelayStore, tx: Tx): MessageLog {
  return store.sqlite ? sqliteLog(store.sqlite) : postgresLog(tx);
}
