import { ClockDriftError, HLC_MAX_DRIFT_MS, type HybridLogicalClock } from '../../../shared/hlc';
import type { PulledMessage } from '../../../shared/sync/protocol';
import { REPLICATED_TABLES, type ReplicatedTable } from '../db/changes';
import type { Sodium } from '../crypto/sodium';
import type { SqliteDatabase } from '../db/store';
import { ApplyOutcome, type ChangeApplier, type ReceivedGroup, type RemoteChange } from './apply';
import { appendSyncAudit, type SyncAuditEntry } from './audit';
import type { SyncCrypto } from './crypto';
import { decodePayload, openBytes } from './messages';
import { decodeChangeBody, MalformedPayload } from './payload';
import type { ClinicKeys } from './state';

/**
 * Why a change from another workstation is held back instead of applied:
 * `schema` written by a newer version of Enamel (applied after this one upgrades), `clock`
 * stamped more than 5 minutes ahead (applied once that time has come), `key` sealed with a clinic
 * key this workstation does not hold yet, `altered` failed its authentication (changed, moved or
 * re-stamped on the way: never applied), `malformed` not a valid change.
 */
export type HoldReason = 'schema' | 'clock' | 'key' | 'altered' | 'malformed';

export const HOLD_REASONS: Record<HoldReason, string> = {
  schema: 'Made with a newer version of Enamel; it is applied once this workstation is updated',
  clock:
    "Stamped more than 5 minutes ahead of this workstation's clock; it is applied when that time comes",
  key: 'Sealed with a clinic key this workstation does not have yet',
  altered: 'Failed its integrity check: it was changed on the way and is not applied',
  malformed: 'Not a change this workstation can read; it is not applied',
};

/** Held reasons that can pass by themselves, so held changes are tried again. */
const RETRYABLE: ReadonlySet<HoldReason> = new Set(['schema', 'clock', 'key']);

export interface OpenContext {
  crypto: SyncCrypto;
  keys: ClinicKeys;
  /** This workstation's relay id: its own messages come back in the log and are skipped. */
  self: string;
  schema: number;
}

export interface Opened {
  serverSeq: number;
  message: PulledMessage;
  own: boolean;
  change: RemoteChange | null;
  shred: string | null;
  hold: HoldReason | null;
}

/**
 * Checks and opens one message, with no database access (runs before the transaction).
 * `payload` is the message's payload decoded, when the caller already has it (checksum).
 */
export function openMessage(
  m: PulledMessage,
  ctx: OpenContext,
  payload: Uint8Array = decodePayload(m.payload),
): Opened {
  const h = m.header;
  const base = { serverSeq: m.serverSeq, message: m, own: false, change: null, shred: null };
  if (h.device === ctx.self) return { ...base, own: true, hold: null };
  if (h.schema > ctx.schema) return { ...base, hold: 'schema' };
  if (!Object.prototype.hasOwnProperty.call(REPLICATED_TABLES, h.table))
    return { ...base, hold: 'malformed' };
  const key = ctx.keys.byId.get(h.keyId);
  if (!key) return { ...base, hold: 'key' };
  let plaintext: Uint8Array;
  try {
    plaintext = openBytes(ctx.crypto, h, payload, key);
  } catch {
    return { ...base, hold: 'altered' };
  }
  if (h.op === 'shred') return { ...base, shred: h.subject, hold: null };
  try {
    const body = decodeChangeBody(plaintext);
    return {
      ...base,
      hold: null,
      change: {
        table: h.table as ReplicatedTable,
        rowId: h.rowId,
        subject: h.subject,
        hlc: h.hlc,
        device: h.device,
        author: body.author,
        operation: h.op === 'delete' ? 'delete' : body.insert ? 'insert' : 'update',
        columns: body.columns,
      },
    };
  } catch (error) {
    if (error instanceof MalformedPayload) return { ...base, hold: 'malformed' };
    throw error;
  }
}

export interface ApplyContext {
  sqlite: SqliteDatabase;
  applier: ChangeApplier;
  clock: HybridLogicalClock;
  sodium: Sodium;
  bucket: string;
  /** change_log/audit device id of this workstation. */
  localDeviceId: string;
  at: string;
  /** The workstation's clock (the HLC adds the relay offset). */
  now: () => number;
}

/** Tables whose rows belong to a patient (a shred removes them). */
const PATIENT_OWNED: ReadonlyArray<{ table: string; column: string }> = [
  { table: 'patient', column: 'id' },
  ...Object.entries(REPLICATED_TABLES)
    .filter(([, spec]) => (spec.columns as readonly string[]).includes('patient_id'))
    .map(([table]) => ({ table, column: 'patient_id' })),
];

function shredSubject(sqlite: SqliteDatabase, subject: string): void {
  const key = sqlite
    .prepare('SELECT key FROM patient_search_key WHERE patient_id = ?')
    .pluck()
    .get(subject) as number | undefined;
  if (key !== undefined) {
    sqlite.prepare('DELETE FROM patient_search WHERE rowid = ?').run(key);
    sqlite.prepare('DELETE FROM patient_search_key WHERE key = ?').run(key);
  }
  for (const { table, column } of PATIENT_OWNED)
    sqlite.prepare(`DELETE FROM "${table}" WHERE "${column}" = ?`).run(subject);
  sqlite.prepare('DELETE FROM change_log WHERE subject_id = ?').run(subject);
  sqlite.prepare('DELETE FROM sync_held WHERE message LIKE ?').run(`%"subject":"${subject}"%`);
}

/**
 * Applies opened messages inside the caller's transaction: merges changes, holds back what cannot
 * be applied, advances the clock past every applied stamp (refusing ones too far ahead), reindexes
 * patients for search and appends the audit events. Returns what changed.
 */
export function applyOpened(ctx: ApplyContext, opened: readonly Opened[]): ApplyOutcome {
  const { sqlite, applier, clock } = ctx;
  const outcome = new ApplyOutcome();
  const hold = sqlite.prepare(
    `INSERT OR REPLACE INTO sync_held (bucket, server_seq, message, reason, held_at)
     VALUES (?, ?, ?, ?, ?)`,
  );
  // The clock's drift rule, checked per message on the millisecond prefix; the clock itself then
  // receives the newest stamp of the page once (the same result as receiving each in turn).
  const wall = ctx.now() + clock.offsetMs;
  let newest: string | null = null;
  for (const o of opened) {
    if (o.own) continue;
    if (o.hold) {
      hold.run(ctx.bucket, o.serverSeq, JSON.stringify(o.message), o.hold, ctx.at);
      continue;
    }
    const hlc = o.message.header.hlc;
    if (parseInt(hlc.slice(0, 12), 16) - wall > HLC_MAX_DRIFT_MS) {
      hold.run(ctx.bucket, o.serverSeq, JSON.stringify(o.message), 'clock', ctx.at);
      continue;
    }
    if (newest === null || hlc > newest) newest = hlc;
    if (o.shred !== null) {
      shredSubject(sqlite, o.shred);
      outcome.patients.add(o.shred);
      outcome.tables.add('patient');
      continue;
    }
    if (o.change) applier.apply(o.change, outcome);
  }
  if (newest !== null) {
    try {
      clock.receive(newest);
    } catch (error) {
      // The wall clock went back between the check above and here: the stamp was within the
      // allowance a moment ago, so it is kept and the clock simply does not move past it yet.
      if (!(error instanceof ClockDriftError)) throw error;
    }
  }
  for (const id of outcome.patients) applier.search.reindex(id);
  const entries: SyncAuditEntry[] = [];
  for (const group of outcome.received.values()) entries.push(receivedEvent(group));
  appendSyncAudit(
    sqlite,
    ctx.sodium,
    { deviceId: ctx.localDeviceId, hlc: clock.lastIssued, at: ctx.at },
    entries,
  );
  sqlite.prepare('UPDATE hlc_state SET last = ? WHERE id = 1').run(clock.lastIssued);
  return outcome;
}

/**
 * The audit event for what arrived for one patient (or clinic-wide) from one member of staff in
 * one transaction: who made the changes (`actor`), which fields (`table.column`, never values),
 * and the row when there was one. The author's own workstation audited each write; the rows'
 * ids and every change are in change_log for field history.
 */
function receivedEvent(group: ReceivedGroup): SyncAuditEntry {
  const [only] = group.rows;
  const single = group.rows.size === 1 && only !== undefined ? only.split('\u0000') : null;
  return {
    action: 'sync.received',
    actorId: group.author,
    subjectId: group.subject,
    targetTable: single?.[0] ?? null,
    targetId: single?.[1] ?? null,
    fields: [...group.fields].sort(),
  };
}

/** Held changes that may pass now, oldest first. */
export function heldForRetry(sqlite: SqliteDatabase, limit = 1000) {
  return (
    sqlite
      .prepare(
        `SELECT bucket, server_seq, message, reason FROM sync_held
         WHERE reason IN (${[...RETRYABLE].map(() => '?').join(', ')})
         ORDER BY server_seq LIMIT ?`,
      )
      .all(...RETRYABLE, limit) as Array<{
      bucket: string;
      server_seq: number;
      message: string;
      reason: HoldReason;
    }>
  ).map((r) => ({ ...r, message: JSON.parse(r.message) as PulledMessage }));
}
