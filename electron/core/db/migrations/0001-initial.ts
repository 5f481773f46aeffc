import { sql, type Kysely } from 'kysely';

const replicated = sql.raw(`
  hlc TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))`);

/** Clinic, staff, patients with their phones, documents, insurance and alerts; search; change log. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID`.execute(
    db,
  );
  await sql`CREATE TABLE hlc_state (id INTEGER PRIMARY KEY CHECK (id = 1), last TEXT NOT NULL)`.execute(
    db,
  );
  await sql`CREATE TABLE clinic (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    country TEXT NOT NULL,
    locale TEXT NOT NULL,
    age_of_consent INTEGER NOT NULL,
    ${replicated}
  )`.execute(db);
  await sql`CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    ${replicated}
  )`.execute(db);
  await sql`CREATE TABLE patient (
    id TEXT PRIMARY KEY,
    chart_number TEXT NOT NULL,
    title TEXT,
    given_names TEXT NOT NULL,
    family_name TEXT NOT NULL,
    patronymic TEXT,
    preferred_name TEXT,
    date_of_birth TEXT NOT NULL,
    sex TEXT NOT NULL,
    gender TEXT,
    email TEXT,
    address_line1 TEXT,
    address_line2 TEXT,
    address_city TEXT,
    address_region TEXT,
    address_postal_code TEXT,
    address_country TEXT,
    preferred_language TEXT,
    preferred_channel TEXT,
    emergency_name TEXT,
    emergency_relationship TEXT,
    emergency_phone TEXT,
    guardian_patient_id TEXT REFERENCES patient(id),
    guardian_name TEXT,
    guardian_relationship TEXT,
    guardian_phone TEXT,
    notes TEXT,
    status TEXT NOT NULL,
    name_key TEXT NOT NULL,
    ${replicated}
  )`.execute(db);
  await sql`CREATE UNIQUE INDEX patient_chart_number ON patient (chart_number COLLATE NOCASE)`.execute(
    db,
  );
  await sql`CREATE INDEX patient_list ON patient (deleted, status, name_key, id)`.execute(db);
  await sql`CREATE INDEX patient_name_key ON patient (name_key, id)`.execute(db);
  await sql`CREATE INDEX patient_birth ON patient (date_of_birth)`.execute(db);
  await sql`CREATE INDEX patient_email ON patient (email) WHERE email IS NOT NULL`.execute(db);

  for (const [table, columns] of [
    [
      'patient_phone',
      'e164 TEXT NOT NULL, type TEXT NOT NULL, preferred INTEGER NOT NULL DEFAULT 0',
    ],
    ['patient_document', 'type TEXT NOT NULL, number TEXT NOT NULL, issuing_country TEXT NOT NULL'],
    [
      'patient_insurance',
      'payer TEXT NOT NULL, member_number TEXT NOT NULL, valid_from TEXT, valid_to TEXT',
    ],
    ['patient_alert', 'kind TEXT NOT NULL, description TEXT NOT NULL, severity TEXT NOT NULL'],
  ] as const) {
    await sql`CREATE TABLE ${sql.raw(table)} (
      id TEXT PRIMARY KEY,
      patient_id TEXT NOT NULL REFERENCES patient(id),
      ${sql.raw(columns)},
      ${replicated}
    )`.execute(db);
    await sql`CREATE INDEX ${sql.raw(`${table}_patient`)} ON ${sql.raw(table)} (patient_id)`.execute(
      db,
    );
  }
  await sql`CREATE INDEX patient_phone_e164 ON patient_phone (e164)`.execute(db);

  await sql`CREATE TABLE patient_search_key (
    key INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL UNIQUE REFERENCES patient(id)
  )`.execute(db);
  // Diacritics and case folded by the tokenizer; prefix indexes make 1-3 letter type-ahead cheap.
  await sql`CREATE VIRTUAL TABLE patient_search USING fts5(
    names, phones, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
  )`.execute(db);

  await sql`CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY,
    hlc TEXT NOT NULL,
    author_id TEXT,
    device_id TEXT NOT NULL,
    table_name TEXT NOT NULL,
    row_id TEXT NOT NULL,
    subject_id TEXT,
    operation TEXT NOT NULL CHECK (operation IN ('insert', 'update', 'delete')),
    columns TEXT NOT NULL,
    payload TEXT NOT NULL,
    recorded_at TEXT NOT NULL
  )`.execute(db);
  await sql`CREATE INDEX change_log_subject ON change_log (subject_id, seq) WHERE subject_id IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX change_log_row ON change_log (table_name, row_id, seq)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('The first migration cannot be undone');
}
