import { sql, type Kysely } from 'kysely';

const replicated = sql.raw(`
  hlc TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))`);

/** Tables whose rows make up the scheduling set-up (see `scheduling_version`). */
const SETUP_TABLES = [
  'chair',
  'provider',
  'appointment_type',
  'opening_hours',
  'provider_hours',
  'closure',
  'scheduling_settings',
] as const;

/**
 * The appointment book: clinic set-up (chairs, providers, appointment types, opening hours,
 * provider hours, closures, settings), appointments with their status changes, accepted
 * conflicts, the waitlist and recalls.
 *
 * - Times of appointments are UTC epoch milliseconds (`starts_at`, `ends_at`), so day and week
 *   queries are integer range scans. Hours and closures are clinic-local wall times as text.
 * - Hours are one row per weekday or date with a deterministic id (see the service), so that two
 *   workstations editing Monday's hours offline update the same row instead of adding two.
 * - Status changes and conflict acknowledgements are insert-only rows: concurrent check-ins or
 *   acceptances on two workstations both survive a merge.
 * - No foreign keys to chairs, providers or types: a resource deleted on another workstation must
 *   not make a synced appointment unwritable; the conflict rules report it instead.
 * - `scheduling_version` and `scheduling_patient_change` are local (never replicated): triggers
 *   count every change of a set-up table, and of a patient or alert (noting which patient),
 *   whoever writes (a command, a seed, sync), so the core can cache the set-up and what the book
 *   shows of patients, and drop exactly what changed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE chair (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    ${replicated}
  )`.execute(db);
  await sql`CREATE TABLE provider (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    colour TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    ${replicated}
  )`.execute(db);
  await sql`CREATE TABLE appointment_type (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    duration_units INTEGER NOT NULL,
    colour TEXT NOT NULL,
    allowed_provider_kinds TEXT NOT NULL,
    default_procedure_codes TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    ${replicated}
  )`.execute(db);
  await sql`CREATE TABLE opening_hours (
    id TEXT PRIMARY KEY,
    day TEXT NOT NULL,
    hours TEXT NOT NULL,
    ${replicated}
  )`.execute(db);
  await sql`CREATE TABLE provider_hours (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL,
    day TEXT NOT NULL,
    hours TEXT NOT NULL,
    breaks TEXT NOT NULL,
    ${replicated}
  )`.execute(db);
  await sql`CREATE INDEX provider_hours_provider ON provider_hours (provider_id)`.execute(db);
  await sql`CREATE TABLE closure (
    id TEXT PRIMARY KEY,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    start_time TEXT,
    end_time TEXT,
    chair_id TEXT,
    provider_id TEXT,
    reason TEXT,
    ${replicated}
  )`.execute(db);
  await sql`CREATE TABLE scheduling_settings (
    id TEXT PRIMARY KEY,
    late_cancellation TEXT NOT NULL,
    ${replicated}
  )`.execute(db);

  await sql`CREATE TABLE appointment (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patient(id),
    chair_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    type_id TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    notes TEXT,
    cancel_reason TEXT,
    cancelled_by TEXT,
    late_cancellation INTEGER CHECK (late_cancellation IN (0, 1)),
    ${replicated}
  )`.execute(db);
  // Conflicts and free slots read a period's appointments from this index alone: it covers
  // every column the rules use, and keeps a day's entries together however they were booked.
  await sql`CREATE INDEX appointment_start ON appointment
    (starts_at, ends_at, status, chair_id, provider_id, patient_id, type_id, id, deleted,
     late_cancellation, (notes IS NOT NULL))`.execute(db);
  // A provider's or chair's busy time over months, for the free-slot search's first pass.
  await sql`CREATE INDEX appointment_provider ON appointment
    (provider_id, starts_at, ends_at, status, deleted)`.execute(db);
  await sql`CREATE INDEX appointment_chair ON appointment
    (chair_id, starts_at, ends_at, status, deleted)`.execute(db);
  await sql`CREATE INDEX appointment_patient ON appointment (patient_id, starts_at)`.execute(db);
  // What a card of the book shows of a patient, in an index small enough to stay in the page
  // cache: a day of the book then reads hundreds of patients without decrypting their records.
  await sql`CREATE INDEX patient_book ON patient
    (id, family_name, given_names, preferred_name, chart_number, deleted)`.execute(db);
  await sql`CREATE INDEX patient_alert_kinds ON patient_alert (patient_id, deleted, kind)`.execute(
    db,
  );

  await sql`CREATE TABLE appointment_status_change (
    id TEXT PRIMARY KEY,
    appointment_id TEXT NOT NULL REFERENCES appointment(id),
    patient_id TEXT NOT NULL REFERENCES patient(id),
    status TEXT NOT NULL,
    previous_status TEXT,
    changed_by TEXT,
    changed_at INTEGER NOT NULL,
    reason TEXT,
    ${replicated}
  )`.execute(db);
  await sql`CREATE INDEX appointment_status_change_appointment
    ON appointment_status_change (appointment_id, changed_at)`.execute(db);
  await sql`CREATE INDEX appointment_status_change_patient
    ON appointment_status_change (patient_id)`.execute(db);

  await sql`CREATE TABLE conflict_acknowledgement (
    id TEXT PRIMARY KEY,
    conflict_id TEXT NOT NULL,
    appointment_id TEXT NOT NULL,
    other_appointment_id TEXT,
    reason TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at INTEGER NOT NULL,
    ${replicated}
  )`.execute(db);
  await sql`CREATE INDEX conflict_acknowledgement_conflict
    ON conflict_acknowledgement (conflict_id)`.execute(db);
  await sql`CREATE INDEX conflict_acknowledgement_appointment
    ON conflict_acknowledgement (appointment_id)`.execute(db);
  await sql`CREATE INDEX conflict_acknowledgement_other
    ON conflict_acknowledgement (other_appointment_id) WHERE other_appointment_id IS NOT NULL`.execute(
    db,
  );

  await sql`CREATE TABLE waitlist_entry (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patient(id),
    type_id TEXT,
    provider_id TEXT,
    duration_minutes INTEGER NOT NULL,
    preferred_weekdays TEXT,
    preferred_times TEXT,
    current_appointment_id TEXT,
    asap INTEGER NOT NULL DEFAULT 0 CHECK (asap IN (0, 1)),
    notes TEXT,
    status TEXT NOT NULL,
    booked_appointment_id TEXT,
    ${replicated}
  )`.execute(db);
  await sql`CREATE INDEX waitlist_entry_status ON waitlist_entry (status, created_at)`.execute(db);
  await sql`CREATE INDEX waitlist_entry_patient ON waitlist_entry (patient_id)`.execute(db);

  await sql`CREATE TABLE recall (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patient(id),
    type_id TEXT NOT NULL,
    interval_months INTEGER NOT NULL,
    due_date TEXT NOT NULL,
    last_visit_date TEXT,
    status TEXT NOT NULL,
    notes TEXT,
    ${replicated}
  )`.execute(db);
  await sql`CREATE INDEX recall_due ON recall (status, due_date)`.execute(db);
  await sql`CREATE INDEX recall_patient ON recall (patient_id, type_id)`.execute(db);

  await sql`CREATE TABLE scheduling_version (
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL
  ) WITHOUT ROWID`.execute(db);
  await sql`INSERT INTO scheduling_version (name, version) VALUES ('setup', 0), ('patients', 0)`.execute(
    db,
  );
  for (const table of SETUP_TABLES) {
    for (const event of ['INSERT', 'UPDATE', 'DELETE'] as const) {
      await sql`CREATE TRIGGER ${sql.raw(`${table}_setup_version_${event.toLowerCase()}`)}
        AFTER ${sql.raw(event)} ON ${sql.raw(table)}
        BEGIN UPDATE scheduling_version SET version = version + 1 WHERE name = 'setup'; END`.execute(
        db,
      );
    }
  }
  // The core keeps what the book shows of each patient (names, alert kinds) in memory; these
  // record which patients changed since, so it can drop just those.
  await sql`CREATE TABLE scheduling_patient_change (
    patient_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL
  ) WITHOUT ROWID`.execute(db);
  await sql`CREATE INDEX scheduling_patient_change_version
    ON scheduling_patient_change (version)`.execute(db);
  for (const [table, key] of [
    ['patient', 'id'],
    ['patient_alert', 'patient_id'],
  ] as const) {
    for (const [event, row] of [
      ['INSERT', 'NEW'],
      ['UPDATE', 'NEW'],
      ['DELETE', 'OLD'],
    ] as const) {
      await sql`CREATE TRIGGER ${sql.raw(`${table}_book_${event.toLowerCase()}`)}
        AFTER ${sql.raw(event)} ON ${sql.raw(table)}
        BEGIN
          UPDATE scheduling_version SET version = version + 1 WHERE name = 'patients';
          INSERT OR REPLACE INTO scheduling_patient_change (patient_id, version)
            VALUES (${sql.raw(`${row}.${key}`)},
              (SELECT version FROM scheduling_version WHERE name = 'patients'));
        END`.execute(db);
    }
  }
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only');
}
