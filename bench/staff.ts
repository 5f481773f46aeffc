/**
 * Staff benchmarks, on one encrypted store seeded with 100,000 patients.
 *
 * - rekey_100k_patients_s: removing a member of staff, through `Core.call('staff.remove')` as the
 *   staff screen sends it: the account row, the store key rotation of crypto/rotation.ts (trimmed
 *   keyring, new keyring sealed to the remaining staff, the database re-encrypted under the new
 *   key, the new keyring promoted), the store reopened under the new key and the audit event.
 *   Every other command waits while this runs, so it is how long the clinic waits. Median of
 *   ROTATIONS removals, one after the other on the same store.
 * - rekey_cpu_s: the process's CPU time for one removal (median), the work without the waiting
 *   of a busy machine.
 * - rekey_step_*_ms: where a removal spends its time (medians), from the rotation's step hook:
 *   keyring (the account row, the trimmed keyring, the new one sealed and written), snapshot (WAL
 *   checkpoint and copy), encrypt (`PRAGMA rekey` on the copy, and its fsync), swap (closing the
 *   store, the rename and the folder fsync), promote (the new keyring in place) and reopen (the
 *   store opened under the new key, the audit event).
 * - pragma_rekey_100k_patients_s: the bare `PRAGMA rekey` of SQLite3MultipleCiphers on a copy of
 *   the same file, in place in rollback-journal mode, as the library documents it; for context.
 * - store_mb: the size of the store file that is re-encrypted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Core } from '../electron/core/core';
import type { RotationStep } from '../electron/core/crypto/rotation';
import { wipe } from '../electron/core/crypto/sodium';
import { openStore } from '../electron/core/db/store';
import { DEFAULT_SEED_VALUE } from '../electron/core/seed/generate';
import { seedPatients } from '../electron/core/seed/seed';
import type { BenchResult } from './foundation';
import { median, round } from './stats';

/** The bench's Argon2id parameters: sign-in cost is not what is measured here. */
const KDF = { opslimit: 1, memlimit: 8 * 1024 * 1024 };
const ADMIN = { username: 'bench', password: 'correct horse battery staple', displayName: 'Bench' };
const STAFF_PASSWORD = 'teapot glacier mosaic ribbon';
const ROTATIONS = 3;

export interface StaffBenchOptions {
  /** Patients in the store; figures for other sizes have no budget. */
  patients?: number;
}

export async function runStaffBench(
  log: (line: string) => void,
  options: StaffBenchOptions = {},
): Promise<BenchResult[]> {
  const count = options.patients ?? 100_000;
  const label = count === 100_000 ? '100k' : String(count);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'enamel-bench-staff-'));
  try {
    let stepAt = new Map<RotationStep, number>();
    const core = new Core({
      dataDir: path.join(root, 'clinic'),
      kdf: KDF,
      onRotationStep: (step) => stepAt.set(step, performance.now()),
    });
    const removals: number[] = [];
    const cpu: number[] = [];
    const steps: Record<string, number[]> = {
      keyring: [],
      snapshot: [],
      encrypt: [],
      swap: [],
      promote: [],
      reopen: [],
    };
    let key: Uint8Array;
    try {
      await core.call('setup.createClinic', {
        clinic: {
          name: 'Bench Dental',
          timeZone: 'Europe/London',
          country: 'GB',
          locale: 'en-GB',
          ageOfConsent: 16,
        },
        admin: ADMIN,
      });
      const leavers = [];
      for (let i = 0; i < ROTATIONS; i++)
        leavers.push(
          await core.call('staff.add', {
            displayName: `Locum ${i + 1}`,
            username: `locum${i + 1}`,
            role: i % 2 === 0 ? 'receptionist' : 'clinician',
            password: STAFF_PASSWORD,
          }),
        );

      log(`Seeding ${count.toLocaleString('en-GB')} patients...`);
      await seedPatients(core.openStore!, core.currentSession!.userId, Date.now, {
        count,
        seedValue: DEFAULT_SEED_VALUE,
      });

      for (const [i, leaver] of leavers.entries()) {
        log(`Removing a member of staff (${i + 1} of ${leavers.length})...`);
        stepAt = new Map();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await core.call('staff.remove', { id: leaver.id });
        const t1 = performance.now();
        const used = process.cpuUsage(cpu0);
        removals.push(t1 - t0);
        cpu.push((used.user + used.system) / 1000);
        const at = (s: RotationStep) => {
          const t = stepAt.get(s);
          if (t === undefined) throw new Error(`The rotation did not report step ${s}`);
          return t;
        };
        steps.keyring!.push(at('next-written') - t0);
        steps.snapshot!.push(at('copy-written') - at('next-written'));
        steps.encrypt!.push(at('copy-rekeyed') - at('copy-written'));
        steps.swap!.push(at('database-swapped') - at('copy-rekeyed'));
        steps.promote!.push(at('promoted') - at('database-swapped'));
        steps.reopen!.push(t1 - at('promoted'));
        log(
          `  ${(removals.at(-1)! / 1000).toFixed(2)} s (cpu ${(cpu.at(-1)! / 1000).toFixed(2)} s; ` +
            Object.entries(steps)
              .map(([k, v]) => `${k} ${v.at(-1)!.toFixed(0)} ms`)
              .join(', ') +
            ')',
        );
      }
      key = core.openStore!.keyCopy();
    } finally {
      await core.close();
    }

    const file = core.paths.database;
    const storeBytes = fs.statSync(file).size;
    log('Bare PRAGMA rekey on a copy...');
    const bare = path.join(root, 'bare.db');
    fs.copyFileSync(file, bare);
    const db = openStore(bare, key, { keyVerified: true });
    wipe(key);
    let pragmaMs: number;
    try {
      db.pragma('journal_mode=DELETE');
      const fresh = new Uint8Array(32).map((_, i) => (i * 53 + 7) & 0xff);
      db.pragma(`cipher='sqlcipher'`);
      db.pragma('legacy=4');
      const t0 = performance.now();
      db.pragma(`rekey="x'${Buffer.from(fresh).toString('hex')}'"`);
      pragmaMs = performance.now() - t0;
    } finally {
      db.close();
    }

    const ms = (name: string, samples: number[]): BenchResult => ({
      name,
      value: round(median(samples), 0),
      unit: 'ms',
      budget: null,
    });
    return [
      {
        name: `rekey_${label}_patients_s`,
        value: round(median(removals) / 1000, 2),
        unit: 's',
        budget: count === 100_000 ? 5 : null,
      },
      { name: 'rekey_cpu_s', value: round(median(cpu) / 1000, 2), unit: 's', budget: null },
      ...Object.entries(steps).map(([step, samples]) => ms(`rekey_step_${step}_ms`, samples)),
      {
        name: `pragma_rekey_${label}_patients_s`,
        value: round(pragmaMs / 1000, 2),
        unit: 's',
        budget: null,
      },
      { name: 'store_mb', value: round(storeBytes / 1e6, 0), unit: 'MB', budget: null },
    ];
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
