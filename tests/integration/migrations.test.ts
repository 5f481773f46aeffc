import crypto from 'node:crypto';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH } from '../../electron/core/audit/chain';
import { Core } from '../../electron/core/core';
import {
  createRecovery,
  createStaffEntry,
  storeKeyCheck,
  writeKeyring,
} from '../../electron/core/crypto/keyring';
import { createKysely } from '../../electron/core/db/kysely';
import { migrate, MIGRATIONS } from '../../electron/core/db/migrations';
import { createStore, openStore, type SqliteDatabase } from '../../electron/core/db/store';
import { storePaths } from '../../electron/core/paths';
import { OpenStore } from '../../electron/core/store-session';
import { tempDir, TEST_KDF } from '../support/core';

/**
 * One case per migration: rows shaped like the schema at that version, written with frozen SQL
 * (never with today's repositories, which follow the latest schema). Each case checks that
 * migrating such a store to the latest version keeps every row and column it had, and that the
 * current code still reads it. A new migration adds its case here.
 */
interface MigrationCase {
  /** Writes representative rows with SQL valid at this version. */
  seed: (db: Kysely<unknown>) => Promise<void>;
  /** Reads the migrated store through today's code. */
  check: (ctx: { dir: string; key: Uint8Array }) => Promise<void>;
}

const STORE_ID = '01934d5e-0000-7000-8000-000000000001';
const DEVICE_ID = '01934d5e-0000-7000-8000-0000000000d1';
const STAFF_ID = '01934d5e-0000-7000-8000-0000000000a1';
const PATIENT_ID = '01934d5e-0000-7000-8000-0000000000b1';
const GUARDIAN_ID = '01934d5e-0000-7000-8000-0000000000b2';
const STAFF_PASSWORD = 'correct horse battery staple';
const AT = '2025-01-15T09:00:00.000Z';
const hlc = (n: number) => `0194696b9e00-${n.toString(16).padStart(4, '0')}-00000000000000d1`;

async function seed0001(db: Kysely<unknown>): Promise<void> {
  await sql`INSERT INTO meta (key, value) VALUES
    ('store_id', ${STORE_ID}), ('device_id', ${DEVICE_ID}), ('next_chart_number', '1003')`.execute(
    db,
  );
  await sql`INSERT INTO hlc_state (id, last) VALUES (1, ${hlc(20)})`.execute(db);
  await sql`INSERT INTO clinic (id, name, time_zone, country, locale, age_of_consent, hlc, created_at, updated_at)
    VALUES (${STORE_ID}, 'Riverside Dental', 'Europe/London', 'GB', 'en-GB', 16, ${hlc(1)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO staff (id, username, display_name, role, status, hlc, created_at, updated_at)
    VALUES (${STAFF_ID}, 'admin', 'Ada Admin', 'practice_manager', 'active', ${hlc(2)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO patient (id, chart_number, title, given_names, family_name, patronymic,
      preferred_name, date_of_birth, sex, gender, email, address_line1, address_line2, address_city,
      address_region, address_postal_code, address_country, preferred_language, preferred_channel,
      emergency_name, emergency_relationship, emergency_phone, guardian_patient_id, guardian_name,
      guardian_relationship, guardian_phone, notes, status, name_key, hlc, created_at, updated_at)
    VALUES
    (${GUARDIAN_ID}, '1001', 'Mrs', 'Gita', 'Guardian', NULL, NULL, '1980-01-01', 'female', NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, 'active', ${'guardian\u0001gita'}, ${hlc(3)}, ${AT}, ${AT}),
    (${PATIENT_ID}, '1002', NULL, 'Zoë', 'Müller', 'Petrovna', 'Zo', '2015-03-12', 'female', 'girl',
      'zoe@example.org', '1 High Street', 'Flat 2', 'London', 'Greater London', 'N1 1AA', 'GB', 'de',
      'sms', 'Max Müller', 'father', '+442079460958', ${GUARDIAN_ID}, NULL, 'mother', NULL,
      ${'Line one\nO\'Brien said "hi" 🦷'}, 'active', ${'muller\u0001zoe'}, ${hlc(4)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO patient_phone (id, patient_id, e164, type, preferred, hlc, created_at, updated_at)
    VALUES ('01934d5e-0000-7000-8000-0000000000c1', ${PATIENT_ID}, '+447400123456', 'mobile', 1, ${hlc(5)}, ${AT}, ${AT}),
           ('01934d5e-0000-7000-8000-0000000000c2', ${PATIENT_ID}, '+442079460958', 'home', 0, ${hlc(6)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO patient_document (id, patient_id, type, number, issuing_country, hlc, created_at, updated_at)
    VALUES ('01934d5e-0000-7000-8000-0000000000e1', ${PATIENT_ID}, 'passport', 'X1234567', 'GB', ${hlc(7)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO patient_insurance (id, patient_id, payer, member_number, valid_from, valid_to, hlc, created_at, updated_at)
    VALUES ('01934d5e-0000-7000-8000-0000000000f1', ${PATIENT_ID}, 'Bupa', 'B-778', '2024-01-01', NULL, ${hlc(8)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO patient_alert (id, patient_id, kind, description, severity, hlc, created_at, updated_at, deleted)
    VALUES ('01934d5e-0000-7000-8000-0000000000a7', ${PATIENT_ID}, 'allergy', 'Penicillin', 'high', ${hlc(9)}, ${AT}, ${AT}, 0),
           ('01934d5e-0000-7000-8000-0000000000a8', ${PATIENT_ID}, 'medication', 'Old entry', 'low', ${hlc(10)}, ${AT}, ${AT}, 1)`.execute(
    db,
  );
  await sql`INSERT INTO patient_search_key (key, patient_id) VALUES (1, ${GUARDIAN_ID}), (2, ${PATIENT_ID})`.execute(
    db,
  );
  await sql`INSERT INTO patient_search (rowid, names, phones) VALUES
    (1, 'gita guardian', ''),
    (2, 'zoe muller petrovna zo', '447400123456 7400123456 07400123456 442079460958 2079460958 02079460958')`.execute(
    db,
  );
  await sql`INSERT INTO change_log (hlc, author_id, device_id, table_name, row_id, subject_id, operation, columns, payload, recorded_at)
    VALUES (${hlc(4)}, ${STAFF_ID}, ${DEVICE_ID}, 'patient', ${PATIENT_ID}, ${PATIENT_ID}, 'insert',
            '["family_name"]', '{"family_name":"Müller"}', ${AT}),
           (${hlc(11)}, NULL, ${DEVICE_ID}, 'patient', ${PATIENT_ID}, ${PATIENT_ID}, 'update',
            '["notes"]', '{"notes":"from another workstation"}', ${AT})`.execute(db);
}

/** Gives the seeded staff member a keyring entry, so the Core can sign in as them. */
async function writeTestKeyring(dir: string, key: Uint8Array): Promise<void> {
  const recovery = await createRecovery(key);
  writeKeyring(storePaths(dir).keyring, {
    format: 'enamel-keyring',
    version: 1,
    storeId: STORE_ID,
    storeKeyCheck: await storeKeyCheck(key, STORE_ID),
    clinicName: 'Riverside Dental',
    staff: [await createStaffEntry(STAFF_ID, 'admin', STAFF_PASSWORD, key, TEST_KDF)],
    recovery: recovery.entry,
  });
}

async function check0001({ dir, key }: { dir: string; key: Uint8Array }): Promise<void> {
  await writeTestKeyring(dir, key);
  const core = new Core({ dataDir: dir, kdf: TEST_KDF, now: () => Date.parse(AT) });
  try {
    const session = await core.call('session.login', {
      username: 'admin',
      password: STAFF_PASSWORD,
    });
    expect(session).toMatchObject({ userId: STAFF_ID, role: 'practice_manager' });
    expect((await core.call('app.status', {})).clinic).toMatchObject({
      id: STORE_ID,
      name: 'Riverside Dental',
      timeZone: 'Europe/London',
    });
    const p = await core.call('patients.get', { id: PATIENT_ID });
    expect(p).toMatchObject({
      chartNumber: '1002',
      givenNames: 'Zoë',
      familyName: 'Müller',
      patronymic: 'Petrovna',
      notes: 'Line one\nO\'Brien said "hi" 🦷',
      guardian: { kind: 'patient', patientId: GUARDIAN_ID, relationship: 'mother' },
      emergencyContact: { name: 'Max Müller', relationship: 'father', phone: '+442079460958' },
      documents: [{ number: 'X1234567' }],
      insurance: [{ payer: 'Bupa', memberNumber: 'B-778', validFrom: '2024-01-01', validTo: null }],
      alerts: [{ kind: 'allergy', description: 'Penicillin', severity: 'high' }],
      version: hlc(4),
    });
    expect(p.phones.map((ph) => ph.e164)).toEqual(['+447400123456', '+442079460958']);
    for (const query of ['zoe mul', '07400 123', '12/03/2015', '1002']) {
      const found = await core.call('patients.search', { query });
      expect(
        found.items.map((i) => i.id),
        query,
      ).toContain(PATIENT_ID);
    }
    const history = await core.call('patients.history', { id: PATIENT_ID });
    expect(history.map((h) => [h.field, h.value, h.authorName])).toEqual([
      ['patient.notes', 'from another workstation', 'Another workstation'],
      ['patient.family_name', 'Müller', 'Ada Admin'],
    ]);
    // New writes continue from the persisted clock and the chart number sequence.
    const created = await core.call('patients.create', {
      patient: {
        title: null,
        givenNames: 'New',
        familyName: 'Patient',
        patronymic: null,
        preferredName: null,
        dateOfBirth: '1990-01-01',
        sex: 'male',
        gender: null,
        phones: [],
        email: null,
        address: { line1: null, line2: null, city: null, region: null, postalCode: null },
        preferredLanguage: null,
        documents: [],
        insurance: [],
        alerts: [],
        notes: null,
        status: 'active',
        chartNumber: null,
      },
    });
    expect(created.chartNumber).toBe('1003');
    expect(created.version > hlc(20)).toBe(true);
  } finally {
    await core.close();
  }
}

// 0003-scheduling: the appointment book's set-up, an appointment with its status change, an
// accepted conflict, a waitlist entry and a recall, on top of the 0001 rows.
const CHAIR_ID = '01934d5e-0000-7000-8000-000000000c01';
const PROVIDER_ID = '01934d5e-0000-7000-8000-000000000d01';
const TYPE_ID = '01934d5e-0000-7000-8000-000000000e01';
const APPOINTMENT_ID = '01934d5e-0000-7000-8000-000000000f01';
const OTHER_APPOINTMENT_ID = '01934d5e-0000-7000-8000-000000000f02';
// Thursday 16 January 2025, 09:00 and 09:15 in London.
const NINE = Date.parse('2025-01-16T09:00:00Z');

async function seed0003(db: Kysely<unknown>): Promise<void> {
  await seed0001(db);
  await sql`INSERT INTO chair (id, name, position, active, hlc, created_at, updated_at)
    VALUES (${CHAIR_ID}, 'Chair 1', 0, 1, ${hlc(30)}, ${AT}, ${AT})`.execute(db);
  await sql`INSERT INTO provider (id, name, kind, colour, position, active, hlc, created_at, updated_at)
    VALUES (${PROVIDER_ID}, 'Dr Rao', 'dentist', '#1E88E5', 0, 1, ${hlc(31)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO appointment_type (id, name, duration_units, colour, allowed_provider_kinds,
      default_procedure_codes, position, active, hlc, created_at, updated_at)
    VALUES (${TYPE_ID}, 'Check-up', 6, '#FB8C00', '["dentist"]', '["D0120"]', 0, 1, ${hlc(32)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO opening_hours (id, day, hours, hlc, created_at, updated_at)
    VALUES ('01934d5e-0000-5000-8000-000000000101', 'thu', '[{"start":"08:00","end":"18:00"}]', ${hlc(33)}, ${AT}, ${AT}),
           ('01934d5e-0000-5000-8000-000000000102', '2025-01-17', 'null', ${hlc(34)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO provider_hours (id, provider_id, day, hours, breaks, hlc, created_at, updated_at)
    VALUES ('01934d5e-0000-5000-8000-000000000201', ${PROVIDER_ID}, 'thu',
      '[{"start":"08:00","end":"17:00"}]', '[{"start":"12:30","end":"13:30"}]', ${hlc(35)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO closure (id, start_date, end_date, start_time, end_time, chair_id, provider_id,
      reason, hlc, created_at, updated_at)
    VALUES ('01934d5e-0000-7000-8000-000000000a31', '2025-12-25', '2025-12-26', NULL, NULL, NULL, NULL,
      'Christmas', ${hlc(36)}, ${AT}, ${AT})`.execute(db);
  await sql`INSERT INTO scheduling_settings (id, late_cancellation, hlc, created_at, updated_at)
    VALUES ('01934d5e-0000-5000-8000-000000000301', '{"kind":"hours_before","hours":48}', ${hlc(37)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO appointment (id, patient_id, chair_id, provider_id, type_id, starts_at, ends_at,
      status, notes, cancel_reason, cancelled_by, late_cancellation, hlc, created_at, updated_at)
    VALUES (${APPOINTMENT_ID}, ${PATIENT_ID}, ${CHAIR_ID}, ${PROVIDER_ID}, ${TYPE_ID}, ${NINE},
      ${NINE + 30 * 60_000}, 'confirmed', 'Bring X-rays', NULL, NULL, NULL, ${hlc(38)}, ${AT}, ${AT}),
           (${OTHER_APPOINTMENT_ID}, ${GUARDIAN_ID}, ${CHAIR_ID}, ${PROVIDER_ID}, ${TYPE_ID},
      ${NINE + 15 * 60_000}, ${NINE + 45 * 60_000}, 'booked', NULL, NULL, NULL, NULL, ${hlc(39)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO appointment_status_change (id, appointment_id, patient_id, status,
      previous_status, changed_by, changed_at, reason, hlc, created_at, updated_at)
    VALUES ('01934d5e-0000-7000-8000-000000000a41', ${APPOINTMENT_ID}, ${PATIENT_ID}, 'booked', NULL,
      ${STAFF_ID}, ${NINE - 86_400_000}, NULL, ${hlc(40)}, ${AT}, ${AT}),
           ('01934d5e-0000-7000-8000-000000000a42', ${APPOINTMENT_ID}, ${PATIENT_ID}, 'confirmed', 'booked',
      ${STAFF_ID}, ${NINE - 3_600_000}, NULL, ${hlc(41)}, ${AT}, ${AT})`.execute(db);
  await sql`INSERT INTO conflict_acknowledgement (id, conflict_id, appointment_id, other_appointment_id,
      reason, acknowledged_by, acknowledged_at, hlc, created_at, updated_at)
    VALUES ('01934d5e-0000-7000-8000-000000000a51',
      ${`chair:${APPOINTMENT_ID}:${OTHER_APPOINTMENT_ID}`}, ${APPOINTMENT_ID}, ${OTHER_APPOINTMENT_ID},
      'Sibling visits together', ${STAFF_ID}, ${NINE - 3_600_000}, ${hlc(42)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO waitlist_entry (id, patient_id, type_id, provider_id, duration_minutes,
      preferred_weekdays, preferred_times, current_appointment_id, asap, notes, status,
      booked_appointment_id, hlc, created_at, updated_at)
    VALUES ('01934d5e-0000-7000-8000-000000000a61', ${GUARDIAN_ID}, ${TYPE_ID}, NULL, 30, '["mon","thu"]',
      '[{"start":"08:00","end":"12:00"}]', NULL, 1, 'Mornings', 'waiting', NULL, ${hlc(43)}, ${AT}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO recall (id, patient_id, type_id, interval_months, due_date, last_visit_date,
      status, notes, hlc, created_at, updated_at)
    VALUES ('01934d5e-0000-7000-8000-000000000a71', ${GUARDIAN_ID}, ${TYPE_ID}, 6, '2025-01-10',
      '2024-07-10', 'active', NULL, ${hlc(44)}, ${AT}, ${AT})`.execute(db);
}

async function check0003(ctx: { dir: string; key: Uint8Array }): Promise<void> {
  await check0001(ctx);
  const core = new Core({ dataDir: ctx.dir, kdf: TEST_KDF, now: () => Date.parse(AT) });
  try {
    await core.call('session.login', { username: 'admin', password: STAFF_PASSWORD });
    const { setup, lateCancellation } = await core.call('scheduling.setup', {});
    expect(setup.chairs).toEqual([{ id: CHAIR_ID, name: 'Chair 1', active: true }]);
    expect(setup.appointmentTypes[0]).toMatchObject({ defaultProcedureCodes: ['D0120'] });
    expect(setup.openingHours).toEqual({
      weekly: { thu: [{ start: '08:00', end: '18:00' }] },
      dates: [],
    });
    expect(setup.providerSchedules[0]?.weekly.thu?.breaks).toEqual([
      { start: '12:30', end: '13:30' },
    ]);
    expect(setup.closures).toMatchObject([{ startDate: '2025-12-25', reason: 'Christmas' }]);
    expect(lateCancellation).toEqual({ kind: 'hours_before', hours: 48 });
    const day = await core.call('appointments.range', { from: '2025-01-16' });
    expect(day.appointments.map((a) => [a.id, a.status, a.patient?.familyName])).toEqual([
      [APPOINTMENT_ID, 'confirmed', 'Müller'],
      [OTHER_APPOINTMENT_ID, 'booked', 'Guardian'],
    ]);
    // The accepted chair clash stays accepted; the provider clash was never accepted.
    expect(day.conflicts.map((c) => [c.kind, c.acknowledged])).toEqual([
      ['chair', true],
      ['provider', false],
    ]);
    const detail = await core.call('appointments.get', { id: APPOINTMENT_ID });
    expect(detail.history.map((h) => [h.status, h.byName])).toEqual([
      ['booked', 'Ada Admin'],
      ['confirmed', 'Ada Admin'],
    ]);
    expect(detail.acknowledgements.map((a) => a.reason)).toEqual(['Sibling visits together']);
    expect((await core.call('waitlist.list', {})).map((w) => w.preferredWeekdays)).toEqual([
      ['mon', 'thu'],
    ]);
    // Guardian is booked for a check-up on the 16th, so the recall shows as booked.
    expect(await core.call('recalls.list', { until: '2025-01-31' })).toEqual([]);
    const recalls = await core.call('recalls.list', { until: '2025-01-31', includeBooked: true });
    expect(recalls.map((r) => [r.dueDate, r.booked?.id])).toEqual([
      ['2025-01-10', OTHER_APPOINTMENT_ID],
    ]);
    // The book keeps working: a new booking on the migrated store.
    const booked = await core.call('appointments.book', {
      appointment: {
        id: '01934d5e-0000-7000-8000-000000000f03',
        patientId: PATIENT_ID,
        chairId: CHAIR_ID,
        providerId: PROVIDER_ID,
        typeId: TYPE_ID,
        start: NINE + 2 * 3_600_000,
      },
    });
    expect(booked.status).toBe('booked');
  } finally {
    await core.close();
  }
}

/** 0002 adds the audit chain: events written at 0002 must still verify after later migrations. */
async function seed0002(db: Kysely<unknown>): Promise<void> {
  await seed0001(db);
  let prev = GENESIS_HASH;
  for (const [seq, action] of [
    [1, 'session.login'],
    [2, 'patients.get'],
  ] as const) {
    const event = {
      id: `01934d5e-0000-7000-8000-00000000e00${seq}`,
      at: AT,
      hlc: hlc(20),
      device_id: DEVICE_ID,
      actor_id: STAFF_ID,
      action,
      subject_id: action === 'patients.get' ? PATIENT_ID : null,
      target_table: null,
      target_id: null,
      fields: null,
      reason: null,
    };
    const hash = await chainHash(prev, event);
    await sql`INSERT INTO audit_event (seq, id, at, hlc, device_id, actor_id, action, subject_id,
        target_table, target_id, fields, reason, prev_hash, hash)
      VALUES (${seq}, ${event.id}, ${AT}, ${event.hlc}, ${DEVICE_ID}, ${STAFF_ID}, ${action},
        ${event.subject_id}, NULL, NULL, NULL, NULL, ${prev}, ${hash})`.execute(db);
    prev = hash;
  }
}

async function check0002(ctx: { dir: string; key: Uint8Array }): Promise<void> {
  await check0001(ctx);
  const core = new Core({ dataDir: ctx.dir, kdf: TEST_KDF, now: () => Date.parse(AT) });
  try {
    await core.call('session.login', { username: 'admin', password: STAFF_PASSWORD });
    const verified = await core.call('audit.verify', {});
    expect(verified).toMatchObject({ ok: true, firstBroken: null });
    // The two seeded events plus everything check0001 and this sign-in did.
    expect(verified.checked).toBeGreaterThan(2);
    const page = await core.call('audit.list', { patientId: PATIENT_ID, limit: 500 });
    expect(page.items.map((e) => e.id)).toContain('01934d5e-0000-7000-8000-00000000e002');
  } finally {
    await core.close();
  }
}

// 0004-sync: a workstation that was enrolled and then revoked, with a change the relay refused
// and one from another workstation held back.
const HELD_MESSAGE = JSON.stringify({
  serverSeq: 7,
  header: {
    v: 1,
    bucket: 'clinic.c1',
    device: 'otherdevice',
    deviceSeq: 3,
    hlc: hlc(50).replace('00000000000000d1', 'otherdevice'),
    table: 'patient',
    rowId: PATIENT_ID,
    subject: PATIENT_ID,
    op: 'upsert',
    schema: 99,
    keyId: 'k1',
  },
  payload: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
});

async function seed0004(db: Kysely<unknown>): Promise<void> {
  await seed0003(db);
  await sql`UPDATE sync_state SET relay_url = 'https://relay.example.org', enrolment = 'revoked',
    organisation_id = 'o1', clinic_id = 'c1', device_id = '00000000000000d1', device_name = 'Desk',
    prepared_through = 2, next_device_seq = 2, cursor = '7', last_sync_at = ${AT} WHERE id = 1`.execute(
    db,
  );
  await sql`INSERT INTO sync_key (key_id, key, added_at) VALUES ('k1', ${Buffer.alloc(32, 7).toString('base64')}, ${AT})`.execute(
    db,
  );
  await sql`INSERT INTO sync_outbox (device_seq, change_seq, bucket, key_id, schema, nonce, state,
      code, reason, attempts, updated_at)
    VALUES (1, 2, 'clinic.c1', 'k1', 4, ${Buffer.alloc(24, 1)}, 'rejected', 'CLOCK_SKEW',
      'The change is stamped 10.0 minutes ahead', 1, ${AT})`.execute(db);
  await sql`INSERT INTO sync_held (bucket, server_seq, message, reason, held_at)
    VALUES ('clinic.c1', 7, ${HELD_MESSAGE}, 'schema', ${AT})`.execute(db);
}

async function check0004(ctx: { dir: string; key: Uint8Array }): Promise<void> {
  await check0003(ctx);
  const core = new Core({ dataDir: ctx.dir, kdf: TEST_KDF, now: () => Date.parse(AT) });
  try {
    await core.call('session.login', { username: 'admin', password: STAFF_PASSWORD });
    const status = await core.call('sync.status', {});
    expect(status).toMatchObject({
      enrolment: 'revoked',
      relayUrl: 'https://relay.example.org',
      clinicCode: 'c1',
      deviceName: 'Desk',
      problems: 2,
      lastSyncAt: AT,
    });
    const problems = await core.call('sync.rejected', {});
    expect(problems.map((p) => [p.direction, p.table, p.code, p.retrying])).toEqual([
      ['outgoing', 'patient', 'CLOCK_SKEW', true],
      ['incoming', 'patient', 'SCHEMA', true],
    ]);
    // Chart numbers and usernames are checked by the services, no longer by constraints: a copy
    // made on another workstation while offline can be stored.
    const sqlite = core.openStore!.sqlite;
    sqlite
      .prepare(
        `INSERT INTO staff (id, username, display_name, role, status, hlc, created_at, updated_at)
         VALUES ('01934d5e-0000-7000-8000-0000000000a2', 'admin', 'Other Admin', 'receptionist',
           'active', ?, ?, ?)`,
      )
      .run(hlc(60), AT, AT);
    expect(
      sqlite.prepare(`SELECT count(*) FROM staff WHERE username = 'admin'`).pluck().get(),
    ).toBe(2);
    await expect(
      core.call('staff.add', {
        displayName: 'Third',
        username: 'admin',
        role: 'receptionist',
        password: 'plum orchard lantern velvet',
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  } finally {
    await core.close();
  }
}

// 0007-book-lookback: an appointment of three and a half hours running past midnight, which the
// book of the next day finds through the new index (it starts more than two hours before).
const LONG_APPOINTMENT_ID = '01934d5e-0000-7000-8000-000000000f04';
// Tuesday 14 January 2025, 21:00, to Wednesday 15 January, 00:30, in London (GMT).
const LONG_START = Date.parse('2025-01-14T21:00:00Z');
const LONG_END = Date.parse('2025-01-15T00:30:00Z');

async function seed0007(db: Kysely<unknown>): Promise<void> {
  await seed0004(db);
  await sql`INSERT INTO appointment (id, patient_id, chair_id, provider_id, type_id, starts_at, ends_at,
      status, notes, cancel_reason, cancelled_by, late_cancellation, hlc, created_at, updated_at)
    VALUES (${LONG_APPOINTMENT_ID}, ${PATIENT_ID}, ${CHAIR_ID}, ${PROVIDER_ID}, ${TYPE_ID},
      ${LONG_START}, ${LONG_END}, 'booked', NULL, NULL, NULL, NULL, ${hlc(45)}, ${AT}, ${AT})`.execute(
    db,
  );
}

async function check0007(ctx: { dir: string; key: Uint8Array }): Promise<void> {
  await check0004(ctx);
  const core = new Core({ dataDir: ctx.dir, kdf: TEST_KDF, now: () => Date.parse(AT) });
  try {
    await core.call('session.login', { username: 'admin', password: STAFF_PASSWORD });
    for (const date of ['2025-01-14', '2025-01-15']) {
      const day = await core.call('appointments.range', { from: date });
      expect(
        day.appointments.map((a) => [a.id, a.start, a.end]),
        date,
      ).toEqual([[LONG_APPOINTMENT_ID, LONG_START, LONG_END]]);
      // The clinic opens on Thursdays only.
      const kinds = ['outside_opening_hours', 'outside_working_hours'];
      expect(day.conflicts.map((c) => c.kind).sort(), date).toEqual(kinds);
      const inbox = await core.call('conflicts.list', { from: date, to: date });
      expect(inbox.map((c) => c.kind).sort(), date).toEqual(kinds);
    }
  } finally {
    await core.close();
  }
}

const CASES: Record<string, MigrationCase> = {
  '0001-initial': { seed: seed0001, check: check0001 },
  '0002-staff-audit': { seed: seed0002, check: check0002 },
  '0003-scheduling': { seed: seed0003, check: check0003 },
  '0004-sync': { seed: seed0004, check: check0004 },
  '0007-book-lookback': { seed: seed0007, check: check0007 },
};

// ---------------------------------------------------------------------------------------------

interface TableSnapshot {
  columns: string[];
  rows: string[];
}

/** Every user table's columns and rows (sorted), without SQLite's and Kysely's bookkeeping. */
function snapshot(sqlite: SqliteDatabase): Map<string, TableSnapshot> {
  const tables = sqlite
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         AND name NOT LIKE 'kysely_%' ORDER BY name`,
    )
    .all() as Array<{ name: string }>;
  const out = new Map<string, TableSnapshot>();
  for (const { name } of tables) {
    const columns = (sqlite.pragma(`table_info("${name}")`) as Array<{ name: string }>).map(
      (c) => c.name,
    );
    out.set(name, { columns, rows: readRows(sqlite, name, columns) });
  }
  return out;
}

function readRows(sqlite: SqliteDatabase, table: string, columns: string[]): string[] {
  const list = columns.map((c) => `"${c}"`).join(', ');
  return (sqlite.prepare(`SELECT ${list} FROM "${table}"`).raw().all() as unknown[][])
    .map((r) => JSON.stringify(r))
    .sort();
}

describe('migrations', () => {
  const names = Object.keys(MIGRATIONS);

  it('each has a test case here', () => {
    const missing = names.filter((n) => !CASES[n]);
    expect(missing, 'add a case to tests/integration/migrations.test.ts').toEqual([]);
  });

  it.each(names)(
    '%s: rows written at this version survive migrating to the latest',
    async (name) => {
      const testCase = CASES[name];
      expect(testCase, `no case for ${name}`).toBeDefined();
      if (!testCase) return;
      const dir = tempDir();
      const file = storePaths(dir).database;
      const key = new Uint8Array(crypto.randomBytes(32));

      const sqlite = createStore(file, key);
      const db = createKysely(sqlite) as unknown as Kysely<unknown>;
      await migrate(db, name);
      const applied = (
        sqlite.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as Array<{
          name: string;
        }>
      ).map((r) => r.name);
      expect(applied).toEqual(names.slice(0, names.indexOf(name) + 1));
      await testCase.seed(db);
      const before = snapshot(sqlite);
      expect([...before.values()].some((t) => t.rows.length > 0)).toBe(true);
      await db.destroy();

      // The real open path: open the keyed file and let OpenStore bring it to the latest schema.
      const store = await OpenStore.fromSqlite(
        openStore(file, key, { keyVerified: true }),
        key,
        () => Date.parse(AT),
      );
      try {
        for (const [table, was] of before) {
          const now = readRows(store.sqlite, table, was.columns);
          expect(now, `${table} after migrating from ${name}`).toEqual(was.rows);
        }
        const all = (
          store.sqlite.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as Array<{
            name: string;
          }>
        ).map((r) => r.name);
        expect(all).toEqual(names);
        expect(store.sqlite.pragma('foreign_key_check')).toEqual([]);
        expect(store.sqlite.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
        // Migrating again changes nothing.
        const settled = snapshot(store.sqlite);
        await migrate(store.db as unknown as Kysely<unknown>);
        expect(snapshot(store.sqlite)).toEqual(settled);
      } finally {
        await store.close();
      }
      await testCase.check({ dir, key });
    },
  );

  it('refuses to migrate to a version it does not know', async () => {
    const dir = tempDir();
    const sqlite = createStore(path.join(dir, 'enamel.db'), crypto.randomBytes(32));
    const db = createKysely(sqlite) as unknown as Kysely<unknown>;
    try {
      await expect(migrate(db, '9999-from-the-future')).rejects.toThrow();
    } finally {
      await db.destroy();
    }
  });
});
