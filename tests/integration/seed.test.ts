import { isValidPhoneNumber, type CountryCode } from 'libphonenumber-js';
import { afterEach, describe, expect, it } from 'vitest';
import { checkChangeRecords, checkPages, checkSearchIndex } from '../../electron/cli/checks';
import { GENESIS_HASH } from '../../electron/core/audit/chain';
import type { Core } from '../../electron/core/core';
import { loadSodium } from '../../electron/core/crypto/sodium';
import {
  BulkChain,
  BulkRecorder,
  ChainHasher,
  type BulkValue,
} from '../../electron/core/db/changes';
import {
  batchesHere,
  batchesOnWorker,
  type PatientBatches,
  type Stamping,
} from '../../electron/core/seed/batches';
import { PatientGenerator, type GeneratorOptions } from '../../electron/core/seed/generate';
import { seedPatients } from '../../electron/core/seed/seed';
import { insertPatientsBulk, type NewPatientRecord } from '../../electron/core/services/patients';
import { ageOn } from '../../shared/dates';
import { HybridLogicalClock } from '../../shared/hlc';
import { patientInput } from '../../shared/domain/patient';
import { parsePhone, phoneSearchKeys } from '../../shared/phone';
import { setUpCore } from '../support/core';

const TODAY = '2025-06-15';
const GB: GeneratorOptions = { country: 'GB', locale: 'en-GB', ageOfConsent: 16, today: TODAY };

/** Ids from a counter, so that two runs can be compared whole. */
function counterIds(from = 0): () => string {
  let n = from;
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

  it('goes on from where another generator was, with the same patients', () => {
    const whole = generate(600, { seedValue: 'state' });
    const first = new PatientGenerator({ ...GB, seedValue: 'state', newId: counterIds() });
    for (let i = 0; i < 400; i++) first.next();
    const second = new PatientGenerator({ ...GB, seedValue: 'state', newId: counterIds(400) });
    second.restore(structuredClone(first.state()));
    const rest = Array.from({ length: 200 }, () => second.next());
    expect(rest).toEqual(whole.slice(400));
    expect(rest.some((p) => p.data.guardian?.kind === 'patient')).toBe(true);
  });

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
    // One import event per patient, naming the kinds of records written for them (never
    // values), stamped with the latest of their changes.
    const imports = store.sqlite
      .prepare(
        `SELECT subject_id, target_table, target_id, fields, hlc FROM audit_event
         WHERE action = 'patient.import' ORDER BY seq`,
      )
      .all() as Array<{
      subject_id: string;
      target_table: string;
      target_id: string;
      fields: string;
      hlc: string;
    }>;
    expect(imports).toHaveLength(300);
    const changes = store.sqlite.prepare(
      'SELECT table_name, hlc FROM change_log WHERE subject_id = ? ORDER BY seq',
    );
    for (const e of imports) {
      expect(e.target_id).toBe(e.subject_id);
      expect(e.target_table).toBe('patient');
      const recorded = changes.all(e.subject_id) as Array<{ table_name: string; hlc: string }>;
      expect(JSON.parse(e.fields)).toEqual([...new Set(recorded.map((c) => c.table_name))]);
      expect(e.hlc).toBe(
        recorded
          .map((c) => c.hlc)
          .sort()
          .at(-1),
      );
    }
    const count = (sql: string) => store.sqlite.prepare(sql).pluck().get() as number;
    expect(count(`SELECT count(*) FROM audit_event WHERE action LIKE 'patient%.insert'`)).toBe(0);

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
    // Where the registry audits each row it writes, the import audits the patient once, naming
    // the same kinds of records.
    const audit = (subject: string) =>
      store.sqlite
        .prepare(
          `SELECT action, target_table, fields FROM audit_event
           WHERE subject_id = ? AND (action = 'patient.import' OR action LIKE 'patient%.insert')
           ORDER BY seq`,
        )
        .all(subject) as Array<{ action: string; target_table: string; fields: string }>;
    const perRow = audit(created.id).filter((e) => e.action.endsWith('.insert'));
    expect(perRow.map((e) => e.action)).toEqual(
      changes(created.id).map((c) => `${c.table_name}.insert`),
    );
    expect(audit(record!.id)).toEqual([
      {
        action: 'patient.import',
        target_table: 'patient',
        fields: JSON.stringify([...new Set(perRow.map((e) => e.target_table))]),
      },
    ]);
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
    const value = (sql: string) => Number(store.sqlite.prepare(sql).pluck().get());
    const bookVersion = () =>
      value(`SELECT version FROM scheduling_version WHERE name = 'patients'`);
    const alerts = () => value('SELECT count(*) FROM patient_alert');
    const version0 = bookVersion();
    const progress: number[] = [];
    const summary = await seedPatients(store, core.currentSession!.userId, Date.now, {
      count: 6000,
      onProgress: (done) => progress.push(done),
      worker: 'wait',
    });
    // The first batch is made here while the worker starts; the worker makes, stamps and chains
    // the others, which this thread writes.
    expect(summary.madeOnWorker).toBe(5000);
    // Same schema after: indexes rebuilt, the appointment book's triggers back.
    expect(schema()).toEqual(before);
    expect(store.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(6000);
    for (const check of [checkPages, checkSearchIndex, checkChangeRecords])
      expect(check(store.sqlite).problems).toEqual([]);
    // The book learns of every seeded patient as its triggers would have told it: the version
    // moves on by one per patient and alert, and each patient is noted at the new version.
    const version1 = bookVersion();
    expect(version1).toBe(version0 + 6000 + summary.alerts);
    expect(alerts()).toBe(summary.alerts);
    const noted = (version: number) =>
      value(
        `SELECT count(*) FROM patient p JOIN scheduling_patient_change c ON c.patient_id = p.id
         WHERE c.version = ${version}`,
      );
    expect(noted(version1)).toBe(6000);
    // Seeding again adds more, with fresh ids; below the bulk threshold the triggers fire.
    await seedPatients(store, core.currentSession!.userId, Date.now, { count: 100 });
    const total = await core.call('patients.list', { offset: 0, limit: 1, includeArchived: true });
    expect(total.total).toBe(6100);
    expect(bookVersion()).toBe(version1 + 100 + (alerts() - summary.alerts));
    expect(
      value(`SELECT count(*) FROM scheduling_patient_change WHERE version > ${version1}`),
    ).toBe(100);
    expect((await core.call('audit.verify', {})).ok).toBe(true);
  });

  it('carries on the chart number sequence, skipping numbers taken by hand', async () => {
    ({ core } = await setUpCore());
    const store = core.openStore!;
    const byHand = async (chartNumber: string) =>
      core!.call('patients.create', {
        patient: { ...generate(1, { seedValue: chartNumber })[0]!.data, chartNumber },
        duplicatesReviewed: true,
      });
    await byHand('1003');
    await byHand('10001');
    const charts = () =>
      store.sqlite
        .prepare('SELECT chart_number FROM patient ORDER BY rowid')
        .pluck()
        .all() as string[];
    await seedPatients(store, core.currentSession!.userId, Date.now, { count: 4, seedValue: 'a' });
    expect(charts().slice(2)).toEqual(['1001', '1002', '1004', '1005']);
    // Across a change of length: 9999 is followed by 10000, then 10002 (10001 is taken).
    store.sqlite.prepare(`UPDATE meta SET value = '9998' WHERE key = 'next_chart_number'`).run();
    await seedPatients(store, core.currentSession!.userId, Date.now, { count: 4, seedValue: 'b' });
    expect(charts().slice(6)).toEqual(['9998', '9999', '10000', '10002']);
    expect((await byHand('X-1')).chartNumber).toBe('X-1');
    const next = await core.call('patients.create', {
      patient: { ...generate(1, { seedValue: 'c' })[0]!.data, chartNumber: null },
      duplicatesReviewed: true,
    });
    expect(next.chartNumber).toBe('10003');
    // A chart number given with a patient is refused when in use, whatever its case.
    const [taken] = generate(1, { seedValue: 'd', newId: () => 'p-taken' });
    store.sqlite.exec('BEGIN');
    const recorder = await BulkRecorder.create(
      store.sqlite,
      store.writer(core.currentSession!.userId, () => new Date()),
    );
    expect(() =>
      insertPatientsBulk(
        store.sqlite,
        recorder,
        [{ ...taken!, data: { ...taken!.data, chartNumber: 'x-1' } }],
        new Date().toISOString(),
      ),
    ).toThrow(/already in use/);
    store.sqlite.exec('ROLLBACK');
  });

  it('makes the same patients on a worker thread as here, stamped and chained in order', async () => {
    const settings = { ...GB, seedValue: 'threads' };
    const sizes = [250, 250, 250];
    const sodium = await loadSodium();
    const writer = { deviceId: 'device-1', actorId: 'actor-1' };
    const stamping = (): Stamping => ({
      clock: new HybridLogicalClock('device-1', Date.now),
      chain: new BulkChain(sodium, { seq: 0, hash: GENESIS_HASH }, writer, counterIds()),
      at: () => '2025-06-15T09:00:00.000Z',
    });
    const here = batchesHere(settings, counterIds(), sizes, stamping());
    const workerStamping = stamping();
    const there = batchesOnWorker(settings, counterIds(), sizes, workerStamping, writer, true);
    expect(there).not.toBeNull();
    const made = (batches: PatientBatches) => {
      const all: Array<Record<string, unknown>> = [];
      const position = new Map<string, number>();
      const stamps: string[] = [];
      const events: BulkValue[][] = [];
      for (const _ of sizes) {
        const { rows, stamps: stamped, events: chained } = batches.next().stamped;
        const columns = ['id', 'chart_number', ...rows.columns.patient];
        for (let n = 0; n < rows.count; n++) {
          const p = Object.fromEntries(
            columns.map((c, k) => [c, rows.patients[n * columns.length + k]]),
          );
          position.set(p.id as string, all.length);
          all.push(p);
        }
        stamps.push(...Object.values(stamped).flat());
        for (let e = 0; e < chained.values.length; e += 8)
          events.push(chained.values.slice(e, e + 8));
      }
      // Ids are made where the batch is made; who is whose guardian is what must match.
      const patients = all.map(({ id: _id, guardian_patient_id: guardian, ...rest }) => ({
        ...rest,
        guardian: guardian === null ? null : position.get(guardian as string),
      }));
      return { patients, stamps, events };
    };
    try {
      const fromWorker = made(there!);
      // The first batch is made here, which the worker replays; it makes the other two.
      expect(there!.fromWorker()).toBe(2);
      const fromHere = made(here);
      expect(fromWorker.patients).toEqual(fromHere.patients);
      expect(
        fromHere.patients.filter((p) => typeof p.guardian === 'number').length,
      ).toBeGreaterThan(5);
      // Stamps only ever go up, across the hand-over to the worker, in the order written.
      expect(new Set(fromWorker.stamps).size).toBe(fromWorker.stamps.length);
      expect(fromWorker.stamps).toEqual([...fromWorker.stamps].sort());
      // One event per patient, numbered on, each linked to the one before.
      expect(fromWorker.events).toHaveLength(750);
      fromWorker.events.forEach((e, i) => {
        expect(e[0]).toBe(i + 1);
        expect(e[6]).toBe(i === 0 ? GENESIS_HASH : fromWorker.events[i - 1]![7]);
      });
      expect(fromWorker.events.map((e) => e[5])).toEqual(fromHere.events.map((e) => e[5]));
    } finally {
      await there!.close();
      await here.close();
    }
  });

  it('writes a chain that verifies, hashing in libsodium memory as the wrapper does', async () => {
    const sodium = await loadSodium();
    const hasher = ChainHasher.create(sodium);
    let prev = GENESIS_HASH;
    const texts = ['', '["a",null]', 'Zoë Müller, 王秀英, أحمد, 😀', 'x'.repeat(40_000), 'ok'];
    for (const text of texts) {
      const expected = sodium.crypto_generichash(32, `${prev}\n${text}`, null, 'hex');
      expect(hasher.hash(prev, text)).toBe(expected);
      prev = expected;
    }
    hasher.release();
  });

  it('audits rows one by one, like insertRecord, when asked to', async () => {
    ({ core } = await setUpCore());
    const store = core.openStore!;
    const created = await core.call('patients.create', {
      patient: { ...generate(1, { seedValue: 'one' })[0]!.data, alerts: [] },
      duplicatesReviewed: true,
    });
    const writer = store.writer(core.currentSession!.userId, () => new Date());
    const at = new Date().toISOString();
    const alert = (id: string) => [id, created.id, 'allergy', 'Latex', 'high'];
    const columns = ['id', 'patient_id', 'kind', 'description', 'severity'];
    store.sqlite.exec('BEGIN');
    const recorder = await BulkRecorder.create(store.sqlite, writer);
    recorder.insertRows(
      { table: 'patient_alert', columns, values: [...alert('a-1'), ...alert('a-2')] },
      at,
      'each row',
    );
    recorder.finish();
    store.sqlite.exec('COMMIT');
    await core.call('patients.update', {
      id: created.id,
      patch: { alerts: [{ kind: 'allergy', description: 'Penicillin', severity: 'high' }] },
    });
    const events = store.sqlite
      .prepare(
        `SELECT action, target_table, target_id, fields FROM audit_event
         WHERE subject_id = ? AND action = 'patient_alert.insert' ORDER BY seq`,
      )
      .all(created.id) as Array<{ target_id: string }>;
    expect(events).toHaveLength(3);
    expect(events.map((e) => e.target_id).slice(0, 2)).toEqual(['a-1', 'a-2']);
    expect(events.map(({ target_id: _, ...e }) => e)).toEqual(
      Array(3).fill({
        action: 'patient_alert.insert',
        target_table: 'patient_alert',
        fields: JSON.stringify(['patient_id', 'kind', 'description', 'severity']),
      }),
    );
    for (const check of [checkPages, checkChangeRecords])
      expect(check(store.sqlite).problems).toEqual([]);
    expect((await core.call('audit.verify', {})).ok).toBe(true);
  });

  it('refuses values SQLite would store as another type, before writing anything', async () => {
    ({ core } = await setUpCore());
    const store = core.openStore!;
    const count = () => store.sqlite.prepare('SELECT count(*) FROM change_log').pluck().get();
    const before = count();
    const writer = store.writer(core.currentSession!.userId, () => new Date());
    store.sqlite.exec('BEGIN');
    const recorder = await BulkRecorder.create(store.sqlite, writer);
    const write = (values: Array<string | number | null>) =>
      recorder.insertRows(
        {
          table: 'patient_phone',
          columns: ['id', 'patient_id', 'e164', 'type', 'preferred'],
          values,
        },
        new Date().toISOString(),
        'by caller',
      );
    expect(() => write(['p-1', 'nobody', 447911123456, 'mobile', 1])).toThrow(
      /e164 takes a string/,
    );
    expect(() => write(['p-1', 'nobody', '+447911123456', 'mobile', '1'])).toThrow(
      /preferred takes a number/,
    );
    expect(() => write(['p-1', 'nobody', '+447911123456'])).toThrow(/5 values each/);
    store.sqlite.exec('ROLLBACK');
    expect(count()).toBe(before);
  });
});
