import type BetterSqlite3 from 'better-sqlite3-multiple-ciphers';
import { CompiledQuery } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Writer } from '../db/changes';
import type { Db, Tx } from '../db/kysely';
import type { SqliteDatabase } from '../db/store';
import { loadSodium, type Sodium } from '../crypto/sodium';
import { chainHashWith, GENESIS_HASH, type AuditEventFields } from './chain';

/** A checkpoint of the chain every this many events. */
export const CHECKPOINT_EVERY = 1000;

export interface AuditEntry {
  action: string;
  subjectId?: string | null;
  targetTable?: string | null;
  targetId?: string | null;
  /** Names of the fields touched, never their values. */
  fields?: readonly string[] | null;
  reason?: string | null;
}

/*
 * The end of the chain is read inside the appending transaction, every time: a seek to the last
 * rowid costs a few microseconds, and the chain has other writers (BulkRecorder for seeds and
 * imports, sync/audit.ts for arrivals from other workstations) that a cached head would have to
 * follow. A head read in the transaction that extends it can never be stale.
 */
const CHAIN_HEAD = 'SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1';
const INSERT_EVENT = `INSERT INTO audit_event (seq, id, at, hlc, device_id, actor_id, action,
    subject_id, target_table, target_id, fields, reason, prev_hash, hash)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_CHECKPOINT = 'INSERT INTO audit_checkpoint (seq, hash, at) VALUES (?, ?, ?)';

interface ChainHead {
  seq: number;
  hash: string;
}

/** Where an event went in the chain. */
export interface AppendedEvent {
  seq: number;
  id: string;
}

/**
 * A write command's own event (see `Writer.command`): `appendChange` appends it with the first
 * change the command records, in that change's transaction, so an audited write commits once
 * rather than twice. Core checks `appended` afterwards, since that transaction may have rolled
 * back, and appends the event alone when it is not there.
 */
export interface CommandEvent {
  entry: AuditEntry;
  appended: AppendedEvent | null;
}

function newEvent(w: Writer, entry: AuditEntry): AuditEventFields {
  return {
    id: uuidv7(),
    at: w.now().toISOString(),
    hlc: w.clock.lastIssued,
    device_id: w.deviceId,
    actor_id: w.actorId,
    action: entry.action,
    subject_id: entry.subjectId ?? null,
    target_table: entry.targetTable ?? null,
    target_id: entry.targetId ?? null,
    fields: entry.fields && entry.fields.length > 0 ? JSON.stringify(entry.fields) : null,
    reason: entry.reason ?? null,
  };
}

/** The next link after `head`, with its statement parameters in INSERT_EVENT order. */
function link(
  sodium: Sodium,
  head: ChainHead | undefined,
  event: AuditEventFields,
): { seq: number; hash: string; params: unknown[] } {
  const prev = head?.hash ?? GENESIS_HASH;
  const hash = chainHashWith(sodium, prev, event);
  const seq = (head?.seq ?? 0) + 1;
  return {
    seq,
    hash,
    params: [
      seq,
      event.id,
      event.at,
      event.hlc,
      event.device_id,
      event.actor_id,
      event.action,
      event.subject_id,
      event.target_table,
      event.target_id,
      event.fields,
      event.reason,
      prev,
      hash,
    ],
  };
}

type Statement = BetterSqlite3.Statement<unknown[]>;

/**
 * The chain's writer on one raw handle: statements prepared once, so an event costs a rowid seek,
 * a BLAKE2b hash and one insert (Kysely would build, compile and prepare each of them per event).
 */
class AuditTrail {
  private readonly head: Statement;
  private readonly insert: Statement;
  private readonly checkpoint: Statement;
  private readonly find: Statement;
  private readonly alone: BetterSqlite3.Transaction<(w: Writer, entry: AuditEntry) => void>;

  constructor(
    private readonly sqlite: SqliteDatabase,
    private readonly sodium: Sodium,
  ) {
    this.head = sqlite.prepare(CHAIN_HEAD);
    this.insert = sqlite.prepare(INSERT_EVENT);
    this.checkpoint = sqlite.prepare(INSERT_CHECKPOINT);
    this.find = sqlite.prepare('SELECT 1 FROM audit_event WHERE seq = ? AND id = ?');
    this.alone = sqlite.transaction((w: Writer, entry: AuditEntry) => this.append(w, entry));
  }

  /** Inside a transaction the caller holds on this handle. */
  append(w: Writer, entry: AuditEntry): AppendedEvent {
    // Outside a transaction the event would commit on its own, apart from what it records.
    if (!this.sqlite.inTransaction)
      throw new Error('Audit events are appended inside the transaction of their action');
    const event = newEvent(w, entry);
    const next = link(this.sodium, this.head.get() as ChainHead | undefined, event);
    this.insert.run(...next.params);
    if (next.seq % CHECKPOINT_EVERY === 0) this.checkpoint.run(next.seq, next.hash, event.at);
    return { seq: next.seq, id: event.id };
  }

  /** Whether `event` is in the chain (it is not when its transaction rolled back). */
  holds(event: AppendedEvent): boolean {
    return this.find.get(event.seq, event.id) !== undefined;
  }

  /** In an IMMEDIATE transaction of its own (the write lock is taken before the head is read). */
  appendAlone(w: Writer, entry: AuditEntry): void {
    // better-sqlite3 would nest it as a savepoint of a transaction someone left open: refuse, as
    // BEGIN would.
    if (this.sqlite.inTransaction)
      throw new Error('Another transaction is open on the store connection');
    this.alone.immediate(w, entry);
  }
}

const trails = new WeakMap<SqliteDatabase, AuditTrail>();

async function trailOf(sqlite: SqliteDatabase): Promise<AuditTrail> {
  let trail = trails.get(sqlite);
  if (!trail) {
    const sodium = await loadSodium();
    trail = trails.get(sqlite) ?? new AuditTrail(sqlite, sodium);
    trails.set(sqlite, trail);
  }
  return trail;
}

/**
 * Appends one event to the chain inside the caller's transaction, so the event commits or rolls
 * back with the action it records. With the writer's raw handle (the one `tx` runs on; Core's
 * writers carry it) through prepared statements; otherwise the same statements through Kysely.
 */
export async function appendAudit(
  tx: Tx,
  w: Writer,
  entry: AuditEntry,
): Promise<AppendedEvent | null> {
  if (w.auditOffForBenchmark) return null;
  if (!tx.isTransaction)
    throw new Error('Audit events are appended inside the transaction of their action');
  if (w.sqlite) return (await trailOf(w.sqlite)).append(w, entry);
  const sodium = await loadSodium();
  const head = (await tx.executeQuery<ChainHead>(CompiledQuery.raw(CHAIN_HEAD))).rows[0];
  const event = newEvent(w, entry);
  const next = link(sodium, head, event);
  await tx.executeQuery(CompiledQuery.raw(INSERT_EVENT, next.params));
  if (next.seq % CHECKPOINT_EVERY === 0)
    await tx.executeQuery(CompiledQuery.raw(INSERT_CHECKPOINT, [next.seq, next.hash, event.at]));
  return { seq: next.seq, id: event.id };
}

/**
 * Appends one event in a transaction of its own, for an action that wrote nothing else (a read):
 * once it returns the event is committed. Kysely's connection lock is taken first, so the event
 * can never land inside a transaction another command has open on the same connection.
 */
export async function appendAuditAlone(
  db: Db,
  sqlite: SqliteDatabase,
  w: Writer,
  entry: AuditEntry,
): Promise<void> {
  if (w.auditOffForBenchmark) return;
  const trail = await trailOf(sqlite);
  await db.connection().execute(async () => trail.appendAlone(w, entry));
}

/** Whether an event appended inside some transaction is in the chain (that transaction committed). */
export async function auditHolds(
  db: Db,
  sqlite: SqliteDatabase,
  event: AppendedEvent,
): Promise<boolean> {
  const trail = await trailOf(sqlite);
  return db.connection().execute(async () => trail.holds(event));
}
