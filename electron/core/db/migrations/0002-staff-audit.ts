import { sql, type Kysely } from 'kysely';

/**
 * Staff details for roles and sessions; the hash-chained audit trail with its checkpoints; break-
 * glass grants. Audit rows cannot be updated or deleted through SQL (triggers), and `verify`
 * detects edits made to the file by other means through the hash chain.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE staff ADD COLUMN provider_id TEXT`.execute(db);
  await sql`CREATE TABLE audit_event (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    hlc TEXT NOT NULL,
    device_id TEXT NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    subject_id TEXT,
    target_table TEXT,
    target_id TEXT,
    fields TEXT,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  )`.execute(db);
  await sql`CREATE INDEX audit_event_subject ON audit_event (subject_id, seq) WHERE subject_id IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX audit_event_actor ON audit_event (actor_id, seq)`.execute(db);
  await sql`CREATE INDEX audit_event_action ON audit_event (action, seq)`.execute(db);
  await sql`CREATE INDEX audit_event_at ON audit_event (at)`.execute(db);
  await sql`CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit events cannot be changed'); END`.execute(db);
  await sql`CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit events cannot be deleted'); END`.execute(db);
  await sql`CREATE TABLE audit_checkpoint (
    seq INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    at TEXT NOT NULL
  )`.execute(db);
  await sql`CREATE TABLE break_glass_grant (
    id TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT
  )`.execute(db);
  await sql`CREATE INDEX break_glass_active ON break_glass_grant (staff_id, patient_id, expires_at)`.execute(
    db,
  );
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only');
}
