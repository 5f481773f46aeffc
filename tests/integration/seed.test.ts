import { isValidPhoneNumber, type CountryCode } from 'libphonenumber-js';
import { afterEach, describe, expect, it } from 'vitest';
import { checkChangeRecords, checkPages, checkSearchIndex } from '../../electron/cli/checks';
import type { Core } from '../../electron/core/core';
import { PatientGenerator, type GeneratorOptions } from '../../electron/core/seed/generate';
import { seedPatients } from '../../electron/core/seed/seed';
import type { NewPatientRecord } from '../../electron/core/services/patients';
import { ageOn } from '../../shared/dates';
import { patientInput } from '../../shared/domain/patient';
import { parsePhone, phoneSearchKeys } from '../../shared/phone';
import { setUpCore } from '../support/core';

const TODAY = '2025-06-15';
const GB: GeneratorOptions = { country: 'GB', locale: 'en-GB', ageOfConsent: 16, today: TODAY };

/** Ids from a counter, so that two runs can be compared whole. */
function counterIds(): () => string {
  let n = 0;
  return () => `00000000-0000-7000-8000-${String(++n).padStart(12, '0')}`;
}

function generate(count: number, options: Partial<GeneratorOptions> = {}): NewPatientRecord[] {
  const g = new PatientGenerator({ ...GB, newId: counterIds(), ...options });
  return Array.from({ length: count }, () => g.next());
}

const names = (p: NewPatientRecord) =>
  [p.data.givenNames, p.data.familyName, p.data.patronymic ?? ''].join(' ');

describe('seed generator', () => {
  it('is deterministic for a seed value and varies with it', () => {
    const a = generate(400, { seedValue: 'bench' });
    const b = generate(400, { seedValue: 'bench' });
    expect(b).toEqual(a);
    const c = generate(400, { seedValue: 'other' });
    expect(c.map(names)).not.toEqual(a.map(names));
    // Many different people, not a handful repeated.
    expect(new Set(a.map(names)).size).toBeGreaterThan(380);
  });

  it('writes names in many communities and scripts, with diacritics and patronymics', () => {
    const patients = generate(3000);
    const all = patients.map(names);
    const has = (re: RegExp) => all.filter((n) => re.test(n)).length;
    // Latin letters with diacritics: Müller, Łukasz, Nguyễn, Şahin, Adébáyọ̀...
    expect(has(/[\u00C0-\u024F\u1E00-\u1EFF]/u)).toBeGreaterThan(150);
    for (const letter of ['ü', 'ł', 'ễ', 'ş', 'ñ', 'é'])
      expect(
        all.some((n) => n.includes(letter)),
        letter,
      ).toBe(true);
    expect(has(/\p{Script=Cyrillic}/u)).toBeGreaterThan(10);
    expect(has(/\p{Script=Greek}/u)).toBeGreaterThan(5);
    expect(has(/\p{Script=Han}/u)).toBeGreaterThan(5);
    expect(has(/\p{Script=Arabic}/u)).toBeGreaterThan(5);
    expect(all.some((n) => /вич\b|вна\b|vich\b|vna\b/.test(n))).toBe(true);
    expect(patients.some((p) => /ska$/.test(p.data.familyName) && p.data.sex === 'female')).toBe(
      true,
    );
    // Every record is valid input for the registry.
    for (const p of patients) expect(patientInput.safeParse(p.data).success).toBe(true);
  });

  it.each(['GB', 'DE', 'FR', 'US', 'PL', 'JP'])(
    'makes only valid phone numbers for a clinic in %s, with their search keys',
    (country) => {
      const patients = generate(1500, { country, locale: 'en-GB' });
      let checked = 0;
      for (const p of patients) {
        p.data.phones.forEach((phone, i) => {
          expect(isValidPhoneNumber(phone.number, country as CountryCode), phone.number).toBe(true);
          expect(parsePhone(phone.number, country)?.e164).toBe(p.phonesE164[i]);
          expect(p.phoneSearchKeys?.[i]).toEqual(phoneSearchKeys(p.phonesE164[i]!));
          checked += 1;
        });
        for (const [typed, e164] of [
          [p.data.emergencyContact?.phone, p.emergencyPhone],
          [
            p.data.guardian?.kind === 'contact' ? p.data.guardian.phone : undefined,
            p.guardianPhone,
          ],
        ] as const) {
          if (typed === undefined) expect(e164).toBeNull();
          else expect(parsePhone(typed, country)?.e164).toBe(e164);
        }
      }
      expect(checked).toBeGreaterThan(1000);
    },
  );

  it('gives every child a guardian, some of them a parent registered as a patient', () => {
    const patients = generate(3000);
    const byId = new Map(patients.map((p, i) => [p.id, { p, i }]));
    let minors = 0;
    let parents = 0;
    patients.forEach((p, i) => {
      const age = ageOn(p.data.dateOfBirth, TODAY);
      expect(p.data.dateOfBirth <= TODAY).toBe(true);
      if (age >= 16) {
        expect(p.data.guardian).toBeNull();
        return;
      }
      minors += 1;
      const g = p.data.guardian;
      expect(g, p.id).toBeTruthy();
      if (g?.kind === 'patient') {
        parents += 1;
        const parent = byId.get(g.patientId);
        expect(parent && parent.i < i).toBe(true);
        expect(ageOn(parent!.p.data.dateOfBirth, TODAY) - age).toBeGreaterThanOrEqual(18);
      }
    });
    expect(minors).toBeGreaterThan(300);
    expect(parents).toBeGreaterThan(50);
    expect(parents).toBeLessThan(minors);
  });
});

describe('seeding a store', () => {
  let core: Core | null = null;
  afterEach(async () => {
    await core?.close();
    core = null;
  });

  it('writes patients the way the registry does: search, change records, audit', async () => {
    ({ core } = await setUpCore());
    const store = core.openStore!;
    const userId = core.currentSession!.userId;
    const summary = await seedPatients(store, userId, Date.now, { count: 300, seedValue: 's1' });
    expect(summary.patients).toBe(300);
    expect(summary.phones).toBeGreaterThan(200);
    expect(summary.minorsWithGuardian).toBeGreaterThan(20);

    for (const check of [checkPages, checkSearchIndex, checkChangeRecords])
      expect(check(store.sqlite).problems).toEqual([]);
    const audit = await core.call('audit.verify', {});
    expect(audit.ok).toBe(true);
    // One audit event per change record, as for any other write.
    const count = (sql: string) => store.sqlite.prepare(sql).pluck().get() as number;
    expect(count(`SELECT count(*) FROM change_log WHERE table_name LIKE 'patient%'`)).toBe(
      count(`SELECT count(*) FROM audit_event WHERE action LIKE 'patient%.insert'`),
    );

    const page = await core.call('patients.list', { offset: 0, limit: 500, includeArchived: true });
    expect(page.total).toBe(300);
    expect(new Set(page.items.map((p) => p.chartNumber)).size).toBe(300);
    for (const summaryRow of page.items.slice(0, 40)) {
      const patient = await core.call('patients.get', { id: summaryRow.id });
      const byName = await core.call('patients.search', {
        query: `${patient.familyName} ${patient.givenNames}`,
        limit: 200,
      });
      expect(byName.items.map((p) => p.id)).toContain(patient.id);
      const phone = patient.phones[0];
      if (phone) {
        const byPhone = await core.call('patients.search', { query: phone.e164, limit: 50 });
        expect(byPhone.items.map((p) => p.id)).toContain(patient.id);
      }
      const history = await core.call('patients.history', { id: patient.id });
      expect(history.some((h) => h.field === 'patient.family_name')).toBe(true);
    }

    // The chart-number sequence carries on after the seed.
    const next = await core.call('patients.create', {
      patient: {
        title: null,
        givenNames: 'Zoë',
        familyName: 'Nowhere-Else',
        patronymic: null,
        preferredName: null,
        dateOfBirth: '1980-01-01',
        sex: 'female',
        gender: null,
        phones: [],
        email: null,
        address: { line1: null, line2: null, city: null, region: null, postalCode: null },
        preferredLanguage: null,
        preferredChannel: null,
        documents: [],
        insurance: [],
        alerts: [],
        notes: null,
        status: 'active',
        chartNumber: null,
      },
    });
    expect(next.chartNumber).toBe('1301');
  });

  it('stores the same record as patients.create would', async () => {
    ({ core } = await setUpCore());
    const store = core.openStore!;
    const [record] = generate(200, { seedValue: 'twin' }).filter(
      (p) =>
        p.data.phones.length > 0 &&
        p.data.guardian === null &&
        (p.data.alerts.length > 0 || p.data.insurance.length > 0),
    );
    expect(record).toBeDefined();
    const writer = store.writer(core.currentSession!.userId, () => new Date());
    const { BulkRecorder } = await import('../../electron/core/db/changes');
    const { insertPatientsBulk } = await import('../../electron/core/services/patients');
    store.sqlite.exec('BEGIN');
    const recorder = await BulkRecorder.create(store.sqlite, writer);
    insertPatientsBulk(store.sqlite, recorder, [record!], new Date().toISOString());
    recorder.finish();
    store.sqlite.exec('COMMIT');
    const created = await core.call('patients.create', {
      patient: record!.data,
      duplicatesReviewed: true,
    });
    const bulk = await core.call('patients.get', { id: record!.id });

    const strip = (p: typeof bulk) => ({
      ...p,
      id: '',
      chartNumber: '',
      createdAt: '',
      updatedAt: '',
      version: '',
      phones: p.phones.map((x) => ({ ...x, id: '' })),
      documents: p.documents.map((x) => ({ ...x, id: '' })),
      insurance: p.insurance.map((x) => ({ ...x, id: '' })),
      alerts: p.alerts.map((x) => ({ ...x, id: '' })),
    });
    expect(strip(bulk)).toEqual(strip(created));

    // Same change records (columns and values), and same audit events, in the same order.
    const changes = (subject: string) =>
      (
        store.sqlite
          .prepare(
            'SELECT table_name, operation, columns, payload FROM change_log WHERE subject_id = ? ORDER BY seq',
          )
          .all(subject) as Array<{ table_name: string; payload: string }>
      ).map((c) => {
        const payload = JSON.parse(c.payload) as Record<string, unknown>;
        delete payload.patient_id;
        delete payload.chart_number;
        return { ...c, payload };
      });
    expect(changes(record!.id)).toEqual(changes(created.id));
    const audit = (subject: string) =>
      store.sqlite
        .prepare(
          `SELECT action, target_table, fields FROM audit_event
           WHERE subject_id = ? AND action LIKE '%.insert' ORDER BY seq`,
        )
        .all(subject);
    expect(audit(record!.id)).toEqual(audit(created.id));
    expect((await core.call('audit.verify', {})).ok).toBe(true);
    // Both are found by the same search.
    const found = await core.call('patients.search', {
      query: `${created.givenNames} ${created.familyName}`,
      limit: 50,
    });
    expect(found.items.map((p) => p.id).sort()).toEqual([record!.id, created.id].sort());
  });

  it('rebuilds every index after a large load and leaves the store in WAL mode', async () => {
    ({ core } = await setUpCore());
    const store = core.openStore!;
    const schema = () =>
      store.sqlite.prepare(`SELECT name, sql FROM sqlite_schema ORDER BY name`).all();
    const before = schema();
    const progress: number[] = [];
    await seedPatients(store, core.currentSession!.userId, Date.now, {
      count: 6000,
      onProgress: (done) => progress.push(done),
    });
    expect(schema()).toEqual(before);
    expect(store.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(6000);
    for (const check of [checkPages, checkSearchIndex, checkChangeRecords])
      expect(check(store.sqlite).problems).toEqual([]);
    // Seeding again adds more, with fresh ids.
    await seedPatients(store, core.currentSession!.userId, Date.now, { count: 100 });
    const total = await core.call('patients.list', { offset: 0, limit: 1, includeArchived: true });
    expect(total.total).toBe(6100);
    expect((await core.call('audit.verify', {})).ok).toBe(true);
  });
});
