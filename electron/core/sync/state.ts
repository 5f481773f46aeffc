import { b64 } from '../crypto/sodium';
import type { SqliteDatabase } from '../db/store';
import type { DeviceKeys } from './crypto';

/** The one row of `sync_state` (migration 0004-sync). */
export interface SyncStateRow {
  relay_url: string | null;
  enrolment: 'none' | 'creating' | 'joining' | 'enrolled' | 'revoked';
  organisation_id: string | null;
  clinic_id: string | null;
  device_id: string | null;
  device_name: string | null;
  signing_public: string | null;
  signing_secret: string | null;
  box_public: string | null;
  box_secret: string | null;
  join_code: string | null;
  join_fingerprint: string | null;
  join_expires_at: number | null;
  /** Own changes at or before this change_log seq stay on this workstation (a joiner's set-up). */
  outbox_from: number;
  /** Own changes up to this change_log seq are sealed into sync_outbox. */
  prepared_through: number;
  next_device_seq: number;
  acked_through: number;
  cursor: string;
  /** While bootstrapping: the relay's head when the bootstrap started. */
  bootstrap_until: number | null;
  bootstrap_from: number | null;
  last_sync_at: string | null;
  /** A joiner's own clinic row, replaced by the clinic's once that arrives. */
  local_clinic_id: string | null;
}

export function readState(sqlite: SqliteDatabase): SyncStateRow {
  const row = sqlite.prepare('SELECT * FROM sync_state WHERE id = 1').get() as
    SyncStateRow | undefined;
  if (!row) throw new Error('sync_state is missing its row');
  return row;
}

type Settable = Partial<Omit<SyncStateRow, never>>;

export function updateState(sqlite: SqliteDatabase, values: Settable): void {
  const entries = Object.entries(values).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return;
  // Column names come from the typed keys above, never from input.
  sqlite
    .prepare(`UPDATE sync_state SET ${entries.map(([k]) => `"${k}" = ?`).join(', ')} WHERE id = 1`)
    .run(...entries.map(([, v]) => v));
}

export function deviceKeysOf(state: SyncStateRow): DeviceKeys | null {
  if (!state.signing_public || !state.signing_secret || !state.box_public || !state.box_secret)
    return null;
  return {
    signingPublic: b64.decode(state.signing_public),
    signingSecret: b64.decode(state.signing_secret),
    boxPublic: b64.decode(state.box_public),
    boxSecret: b64.decode(state.box_secret),
  };
}

export function keyColumns(keys: DeviceKeys): Settable {
  return {
    signing_public: b64.encode(keys.signingPublic),
    signing_secret: b64.encode(keys.signingSecret),
    box_public: b64.encode(keys.boxPublic),
    box_secret: b64.encode(keys.boxSecret),
  };
}

export interface ClinicKeys {
  /** The key new messages are sealed with: the highest epoch. */
  currentId: string;
  byId: Map<string, Uint8Array>;
}

export function readClinicKeys(sqlite: SqliteDatabase): ClinicKeys | null {
  const rows = sqlite
    .prepare('SELECT key_id, key FROM sync_key ORDER BY added_at, key_id')
    .all() as Array<{ key_id: string; key: string }>;
  if (rows.length === 0) return null;
  return {
    currentId: rows.at(-1)!.key_id,
    byId: new Map(rows.map((r) => [r.key_id, b64.decode(r.key)])),
  };
}

export function addClinicKey(sqlite: SqliteDatabase, keyId: string, key: Uint8Array, at: string) {
  sqlite
    .prepare('INSERT OR IGNORE INTO sync_key (key_id, key, added_at) VALUES (?, ?, ?)')
    .run(keyId, b64.encode(key), at);
}

export function countPending(sqlite: SqliteDatabase, deviceId: string, state: SyncStateRow) {
  const unsealed = sqlite
    .prepare('SELECT count(*) FROM change_log WHERE seq > ? AND device_id = ?')
    .pluck()
    .get(Math.max(state.prepared_through, state.outbox_from), deviceId) as number;
  const outbox = sqlite.prepare('SELECT count(*) FROM sync_outbox').pluck().get() as number;
  return unsealed + outbox;
}

export function countProblems(sqlite: SqliteDatabase): number {
  const rejected = sqlite
    .prepare(`SELECT count(*) FROM sync_outbox WHERE state = 'rejected'`)
    .pluck()
    .get() as number;
  const held = sqlite.prepare('SELECT count(*) FROM sync_held').pluck().get() as number;
  return rejected + held;
}
