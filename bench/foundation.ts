/**
 * Foundation benchmarks, on one encrypted store seeded with 100,000 patients per run:
 *
 * - seed_100k_patients_s: the bulk seed (generation, rows, change records, audit events, search
 *   rows, index rebuild, commit), through `seedPatients` as `enamel seed` runs it.
 * - patient_search_p95_ms: `patients.search` through `Core.call` (argument parsing, role check,
 *   audit of the read included) with 1-3 letter prefixes and full names, as the type-ahead sends.
 * - patient_open_p95_ms: `patients.get` (demographics, alerts, phones, documents, insurance).
 * - audit_overhead_ratio: a patient opened and updated (`patients.get` then `patients.update`,
 *   through `Core.call`) with the audit trail as always, against the same with the trail
 *   switched off, interleaved in one run; the ratio of the median times of the two. The switch
 *   exists for this figure only: `CoreOptions.benchmarkAuditSwitch`, which no host passes and no
 *   command or setting reaches.
 * - store_open_ms: opening and keying the existing store and its first query, without Argon2id.
 * - login_ms: sign-in with the production Argon2id parameters, store opening included
 *   (informational).
 * - encrypted_vs_plain_insert_ratio: the same 100,000 patient rows in one transaction into a
 *   keyed SQLCipher v4 file and a plain one, same schema and pragmas, alternated; the ratio of the
 *   median CPU times of the inserting process (user + system). Wall time on a shared machine
 *   swings by half between identical runs, and the disk writes are the same bytes for both, so
 *   CPU time is what isolates the cost of encryption; wall medians are reported alongside.
 *
 * BENCH_SKIP_INSERT_RATIO=1 leaves out the sign-in, store-opening and insert-ratio figures (about
 * half the run), for quick turns on the read path; the figures kept are the same.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { Core } from '../electron/core/core';
import { DEFAULT_KDF } from '../electron/core/crypto/keyring';
import { wipe } from '../electron/core/crypto/sodium';
import { createKysely } from '../electron/core/db/kysely';
import { migrate } from '../electron/core/db/migrations';
import { createStore, type SqliteDatabase } from '../electron/core/db/store';
import { KeyringFiles } from '../electron/core/keyring-protector';
import { DEFAULT_SEED_VALUE, PatientGenerator } from '../electron/core/seed/generate';
import { seedPatients } from '../electron/core/seed/seed';
import * as patients from '../electron/core/services/patients';
import type { ServiceContext } from '../electron/core/services/context';
import { OpenStore } from '../electron/core/store-session';
import { todayIn } from '../shared/dates';
import { median, percentile, round, timeEach } from './stats';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Null for figures reported for information only. */
  budget: number | null;
}

export interface FoundationOptions {
  patients: number;
  log: (line: string) => void;
}

const ADMIN = { username: 'bench', password: 'correct horse battery staple', name: 'Bench Admin' };
const SEARCH_SAMPLES = 3000;
const OPEN_SAMPLES = 3000;
const AUDIT_PAIRS = 600;
const AUDIT_WARM_UP = 50;
const LOGINS = 5;
const STORE_OPENS = 25;
const RATIO_ROWS = 100_000;
const RATIO_PAIRS = 5;

export async function runFoundationBench(options: FoundationOptions): Promise<BenchResult[]> {
  const { log } = options;
  const results: BenchResult[] = [];
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'enamel-bench-'));
  try {
    const dataDir = path.join(root, 'clinic');
    const core = new Core({ dataDir, kdf: DEFAULT_KDF, benchmarkAuditSwitch: true });
    try {
      await core.call('setup.createClinic', {
        clinic: {
          name: 'Bench Dental',
          timeZone: 'Europe/London',
          country: 'GB',
          locale: 'en-GB',
          ageOfConsent: 16,
        },
        admin: { username: ADMIN.username, displayName: ADMIN.name, password: ADMIN.password },
      });

      log(`Seeding ${options.patients.toLocaleString('en-GB')} patients...`);
      const store = core.openStore!;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      await seedPatients(store, core.currentSession!.userId, Date.now, {
        count: options.patients,
        seedValue: DEFAULT_SEED_VALUE,
      });
      const seedSeconds = (performance.now() - t0) / 1000;
      const seedCpu = process.cpuUsage(cpu0);
      results.push(
        options.patients === 100_000
          ? { name: 'seed_100k_patients_s', value: round(seedSeconds, 2), unit: 's', budget: 10 }
          : {
              name: `seed_${options.patients}_patients_s`,
              value: round(seedSeconds, 2),
              unit: 's',
              budget: null,
            },
        // The process's CPU time for the same seed: the work, without waiting for a busy machine.
        {
          name: 'seed_patients_cpu_s',
          value: round((seedCpu.user + seedCpu.system) / 1e6, 2),
          unit: 's',
          budget: null,
        },
      );

      log('Searching...');
      const queries = searchQueries(options.patients);
      const searches = await timeEach(SEARCH_SAMPLES, 300, (i) =>
        core.call('patients.search', { query: queries[i % queries.length]!, limit: 50 }),
      );
      results.push({
        name: 'patient_search_p95_ms',
        value: round(percentile(searches, 95)),
        unit: 'ms',
        budget: 2,
      });
      // The service alone (no argument parsing, role check or audit event), to show the split.
      const ctx: ServiceContext = {
        db: store.db,
        sqlite: store.sqlite,
        writer: store.writer(core.currentSession!.userId, () => new Date()),
        clinic: store.clinic!,
        emit: () => undefined,
      };
      const serviceSearches = await timeEach(SEARCH_SAMPLES, 300, (i) =>
        patients.searchPatients(ctx, queries[i % queries.length]!, 50),
      );
      results.push({
        name: 'patient_search_service_p95_ms',
        value: round(percentile(serviceSearches, 95)),
        unit: 'ms',
        budget: null,
      });

      log('Opening patient records...');
      const ids = store.sqlite
        .prepare('SELECT id FROM patient WHERE rowid % 37 = 0 ORDER BY rowid')
        .pluck()
        .all() as string[];
      const opens = await timeEach(OPEN_SAMPLES, 300, (i) =>
        core.call('patients.get', { id: ids[(i * 7919) % ids.length]! }),
      );
      results.push({
        name: 'patient_open_p95_ms',
        value: round(percentile(opens, 95)),
        unit: 'ms',
        budget: 2,
      });
      const serviceOpens = await timeEach(OPEN_SAMPLES, 300, (i) =>
        patients.getPatient(ctx, ids[(i * 7919) % ids.length]!),
      );
      results.push({
        name: 'patient_open_service_p95_ms',
        value: round(percentile(serviceOpens, 95)),
        unit: 'ms',
        budget: null,
      });

      log('Opening and updating patients with and without the audit trail...');
      results.push(...(await auditOverhead(core, ids)));
    } finally {
      await core.close();
    }

    if (process.env.BENCH_SKIP_INSERT_RATIO === '1') return results;
    log('Signing in (production Argon2id)...');
    const logins: number[] = [];
    let key: Uint8Array | null = null;
    for (let i = 0; i < LOGINS + 1; i++) {
      const c = new Core({ dataDir, kdf: DEFAULT_KDF });
      const t0 = performance.now();
      await c.login(ADMIN.username, ADMIN.password);
      if (i > 0) logins.push(performance.now() - t0);
      key ??= c.openStore!.keyCopy();
      await c.close();
    }
    results.push({ name: 'login_ms', value: round(median(logins), 1), unit: 'ms', budget: null });

    log('Opening the store with its key...');
    const keyring = (await new KeyringFiles(path.join(dataDir, 'keyring.json')).read())!.keyring;
    const file = path.join(dataDir, 'enamel.db');
    const storeOpens = await timeEach(STORE_OPENS, 3, async () => {
      const s = await OpenStore.open(file, key!, keyring, Date.now);
      await s.db.selectFrom('patient').select(['id', 'family_name']).limit(1).execute();
      await s.close();
    });
    wipe(key);
    results.push({
      name: 'store_open_ms',
      value: round(median(storeOpens), 2),
      unit: 'ms',
      budget: 50,
    });

    log('Encrypted versus plain inserts...');
    results.push(...(await insertRatio(root, log)));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return results;
}

/**
 * One sample is a patient opened then updated (a new note each time, so every update writes a
 * change). The two modes alternate which goes first, on different patients drawn alike, so
 * neither gains from the other's warm pages or loses to a busier moment of the machine.
 */
async function auditOverhead(core: Core, ids: readonly string[]): Promise<BenchResult[]> {
  let n = 0;
  const openAndUpdate = async (audited: boolean): Promise<number> => {
    const id = ids[(n++ * 7919 + 13) % ids.length]!;
    core.setAuditForBenchmark(audited);
    try {
      const t0 = performance.now();
      await core.call('patients.get', { id });
      await core.call('patients.update', { id, patch: { notes: `Bench note ${n}` } });
      return performance.now() - t0;
    } finally {
      core.setAuditForBenchmark(true);
    }
  };
  for (let i = 0; i < AUDIT_WARM_UP; i++) await openAndUpdate(i % 2 === 0);
  const withAudit: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < AUDIT_PAIRS; i++) {
    if (i % 2 === 0) {
      withAudit.push(await openAndUpdate(true));
      without.push(await openAndUpdate(false));
    } else {
      without.push(await openAndUpdate(false));
      withAudit.push(await openAndUpdate(true));
    }
  }
  return [
    {
      name: 'audit_overhead_ratio',
      value: round(median(withAudit) / median(without), 3),
      unit: 'x',
      budget: 1.2,
    },
    {
      name: 'open_update_audited_median_ms',
      value: round(median(withAudit)),
      unit: 'ms',
      budget: null,
    },
    {
      name: 'open_update_unaudited_median_ms',
      value: round(median(without)),
      unit: 'ms',
      budget: null,
    },
  ];
}

/** 1-3 letter prefixes (as typed, some with diacritics) and full names of seeded patients. */
function searchQueries(patients: number): string[] {
  const generator = new PatientGenerator({
    seedValue: DEFAULT_SEED_VALUE,
    country: 'GB',
    locale: 'en-GB',
    ageOfConsent: 16,
    today: todayIn('Europe/London'),
  });
  const full: string[] = [];
  for (let i = 0; i < Math.min(patients, 2000); i++) {
    const p = generator.next().data;
    full.push(i % 2 === 0 ? `${p.givenNames} ${p.familyName}` : `${p.familyName} ${p.givenNames}`);
  }
  const prefixes: string[] = [];
  for (const name of full) {
    const word = name.split(' ')[0]!;
    prefixes.push(word.slice(0, 1), word.slice(0, 2), word.slice(0, 3));
  }
  const out: string[] = [];
  // One in four queries is a full name; the others are what is typed on the way there.
  for (let i = 0; i < full.length; i++)
    out.push(prefixes[i * 3]!, prefixes[i * 3 + 1]!, prefixes[i * 3 + 2]!, full[i]!);
  return out;
}

/**
 * The same rows into a keyed and a plain database with the store's schema and pragmas (read back
 * from a store made by `createStore`, so they follow any change there). Wall time of the whole
 * transaction, commit included; pairs alternate so background load hits both alike.
 */
async function insertRatio(root: string, log: (line: string) => void): Promise<BenchResult[]> {
  const generator = new PatientGenerator({
    seedValue: 'ratio',
    country: 'GB',
    locale: 'en-GB',
    ageOfConsent: 16,
    today: todayIn('Europe/London'),
  });
  const rows: unknown[][] = [];
  for (let i = 0; i < RATIO_ROWS; i++) {
    const p = generator.next();
    const d = p.data;
    rows.push([
      p.id,
      String(100_000 + i),
      d.title,
      d.givenNames,
      d.familyName,
      d.patronymic,
      d.dateOfBirth,
      d.sex,
      d.email,
      d.address.line1,
      d.address.city,
      d.address.postalCode,
      d.preferredLanguage,
      d.status,
      `${d.familyName.toLowerCase()}\u0001${d.givenNames.toLowerCase()}`,
      `0193a1b2c3d4-${String(i % 65536).padStart(4, '0')}-bench`,
      '2025-01-01T00:00:00.000Z',
      '2025-01-01T00:00:00.000Z',
    ]);
  }
  interface Timing {
    wall: number;
    cpu: number;
  }
  const insertAll = async (db: SqliteDatabase): Promise<Timing> => {
    await migrate(createKysely(db) as never);
    const insert = db.prepare(
      `INSERT INTO patient (id, chart_number, title, given_names, family_name, patronymic,
         date_of_birth, sex, email, address_line1, address_city, address_postal_code,
         preferred_language, status, name_key, hlc, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    db.transaction(() => {
      for (const r of rows) insert.run(...r);
    })();
    const cpu = process.cpuUsage(cpu0);
    return { wall: performance.now() - t0, cpu: (cpu.user + cpu.system) / 1000 };
  };
  const key = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
  const pragmaNames = [
    'journal_mode',
    'synchronous',
    'foreign_keys',
    'secure_delete',
    'cache_size',
  ];
  let n = 0;
  const keyed = async () => {
    const db = createStore(path.join(root, `keyed-${n++}.db`), key);
    try {
      return await insertAll(db);
    } finally {
      db.close();
    }
  };
  const reference = createStore(path.join(root, 'pragmas.db'), key);
  const pragmas = pragmaNames.map((p) => `${p}=${String(reference.pragma(p, { simple: true }))}`);
  reference.close();
  const plain = async () => {
    const db = new Database(path.join(root, `plain-${n++}.db`));
    try {
      for (const p of pragmas) db.pragma(p);
      db.pragma('trusted_schema=OFF');
      return await insertAll(db);
    } finally {
      db.close();
    }
  };
  await plain();
  await keyed();
  const plainTimes: Timing[] = [];
  const keyedTimes: Timing[] = [];
  for (let i = 0; i < RATIO_PAIRS; i++) {
    // Alternate which goes first, so neither always follows the other's disk writes.
    if (i % 2 === 0) {
      plainTimes.push(await plain());
      keyedTimes.push(await keyed());
    } else {
      keyedTimes.push(await keyed());
      plainTimes.push(await plain());
    }
    const [p, k] = [plainTimes.at(-1)!, keyedTimes.at(-1)!];
    log(
      `  pair ${i + 1}: plain ${p.wall.toFixed(0)} ms (cpu ${p.cpu.toFixed(0)}), keyed ${k.wall.toFixed(0)} ms (cpu ${k.cpu.toFixed(0)})`,
    );
    for (const f of fs.readdirSync(root))
      if (/^(plain|keyed)-/.test(f)) fs.rmSync(path.join(root, f));
  }
  const med = (ts: Timing[], k: keyof Timing) => median(ts.map((t) => t[k]));
  const ratio = med(keyedTimes, 'cpu') / med(plainTimes, 'cpu');
  const info = (name: string, value: number): BenchResult => ({
    name,
    value: round(value, 0),
    unit: 'ms',
    budget: null,
  });
  return [
    { name: 'encrypted_vs_plain_insert_ratio', value: round(ratio, 2), unit: 'x', budget: 1.5 },
    {
      name: 'encrypted_vs_plain_insert_wall_ratio',
      value: round(med(keyedTimes, 'wall') / med(plainTimes, 'wall'), 2),
      unit: 'x',
      budget: null,
    },
    info('insert_100k_plain_cpu_ms', med(plainTimes, 'cpu')),
    info('insert_100k_encrypted_cpu_ms', med(keyedTimes, 'cpu')),
    info('insert_100k_plain_wall_ms', med(plainTimes, 'wall')),
    info('insert_100k_encrypted_wall_ms', med(keyedTimes, 'wall')),
  ];
}
