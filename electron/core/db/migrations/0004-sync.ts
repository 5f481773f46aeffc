import { sql, type Kysely } from 'kysely';

/**
 * Sync between workstations (see docs/sync-client.md):
 *
 * - `sync_state`: one row: the relay, this workstation's enrolment and keys, how far its own
 *   changes have been sealed and sent, and the pull cursor. The keys live in the encrypted store,
 *   so sync runs only while someone is signed in.
 * - `sync_key`: the clinic keys, by key id (epoch).
 * - `sync_outbox`: this workstation's changes, numbered, until the relay takes them. With the
 *   number it keeps what makes the sealed message the same bytes every time (bucket, key, schema,
 *   nonce; the rest is the change_log row), so a push repeated after a crash is recognised by the
 *   relay rather than refused as a reused number. Refused ones stay, marked.
 * - `sync_held`: changes from other workstations that could not be applied yet (newer schema,
 *   clock too far ahead, unknown key) or ever (altered), kept and shown.
 *
 * Two uniqueness rules become checks in the services instead of constraints: chart numbers and
 * usernames. Two workstations that were offline can both hand out chart number 1042 or add a
 * "jsmith"; a constraint would make the second copy impossible to store on every replica, so the
 * replicas would stop converging. The services still refuse a duplicate made on one workstation.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE sync_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    relay_url TEXT,
    enrolment TEXT NOT NULL DEFAULT 'none'
      CHECK (enrolment IN ('none', 'creating', 'joining', 'enrolled', 'revoked')),
    organisation_id TEXT,
    clinic_id TEXT,
    device_id TEXT,
    device_name TEXT,
    signing_public TEXT,
    signing_secret TEXT,
    box_public TEXT,
    box_secret TEXT,
    join_code TEXT,
    join_fingerprint TEXT,
    join_expires_at INTEGER,
    outbox_from INTEGER NOT NULL DEFAULT 0,
    prepared_through INTEGER NOT NULL DEFAULT 0,
    next_device_seq INTEGER NOT NULL DEFAULT 1,
    acked_through INTEGER NOT NULL DEFAULT 0,
    cursor TEXT NOT NULL DEFAULT '0',
    bootstrap_until INTEGER,
    bootstrap_from INTEGER,
    last_sync_at TEXT,
    local_clinic_id TEXT
  )`.execute(db);
  await sql`INSERT INTO sync_state (id) VALUES (1)`.execute(db);
  await sql`CREATE TABLE sync_key (
    key_id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    added_at TEXT NOT NULL
  ) WITHOUT ROWID`.execute(db);
  await sql`CREATE TABLE sync_outbox (
    device_seq INTEGER PRIMARY KEY,
    change_seq INTEGER NOT NULL UNIQUE,
    bucket TEXT NOT NULL,
    key_id TEXT NOT NULL,
    schema INTEGER NOT NULL,
    nonce BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected')),
    code TEXT,
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT
  )`.execute(db);
  await sql`CREATE TABLE sync_held (
    bucket TEXT NOT NULL,
    server_seq INTEGER NOT NULL,
    message TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('schema', 'clock', 'key', 'altered', 'malformed')),
    held_at TEXT NOT NULL,
    PRIMARY KEY (bucket, server_seq)
  ) WITHOUT ROWID`.execute(db);

  await sql`DROP INDEX patient_chart_number`.execute(db);
  await sql`CREATE INDEX patient_chart_number ON patient (chart_number COLLATE NOCASE)`.execute(db);

  // SQLite cannot drop a column constraint: the staff table is rebuilt with the same columns, in
  // the same order, without UNIQUE on username. Nothing references it by foreign key.
  await sql`CREATE TABLE staff_rebuilt (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    hlc TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    provider_id TEXT
  )`.execute(db);
  await sql`INSERT INTO staff_rebuilt (id, username, display_name, role, status, hlc, created_at,
      updated_at, deleted, provider_id)
    SELECT id, username, display_name, role, status, hlc, created_at, updated_at, deleted,
      provider_id FROM staff`.execute(db);
  await sql`DROP TABLE staff`.execute(db);
  await sql`ALTER TABLE staff_rebuilt RENAME TO staff`.execute(db);
  await sql`CREATE INDEX staff_username ON staff (username)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only');
}
