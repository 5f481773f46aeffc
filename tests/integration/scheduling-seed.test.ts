import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core';
import { seedAppointments } from '../../electron/core/seed/appointments';
import { seedPatients } from '../../electron/core/seed/seed';
import { todayIn } from '../../shared/dates';
import { addDays, daysBetween, localDateOf } from '../../shared/scheduling';
import { ADMIN, setUpCore, tempDir } from '../support/core';

let core: Core | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await core?.close();
  core = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('seeding the appointment book', () => {
  it('writes a realistic, conflict-free book through the recorded path', async () => {
    const started = await setUpCore();
    core = started.core;
    dirs.push(started.dir);
    const store = core.openStore!;
    const actor = core.currentSession!.userId;
    await seedPatients(store, actor, Date.now, { count: 400 });
    const summary = await seedAppointments(store, actor, Date.now, { count: 3000 });
    expect(summary).toMatchObject({ appointments: 3000, setupCreated: true });
    expect(summary.recalls).toBeGreaterThan(0);

    const { setup } = await core.call('scheduling.setup', {});
    expect(setup.chairs).toHaveLength(10);
    expect(setup.providers).toHaveLength(8);
    const sqlite = store.sqlite;
    const count = (q: string) => Number(sqlite.prepare(q).pluck().get());
    expect(count('SELECT count(*) FROM appointment')).toBe(3000);
    // Every row went through the change log, as a command's would.
    expect(
      count(
        `SELECT count(*) FROM change_log WHERE table_name = 'appointment' AND operation = 'insert'`,
      ),
    ).toBe(3000);

    // The shared conflict rules find nothing to resolve in what the seed made.
    const today = todayIn(setup.timeZone);
    for (let from = summary.from!; from <= summary.to!; from = addDays(from, 300)) {
      const to = addDays(from, Math.min(299, daysBetween(from, summary.to!)));
      expect(await core.call('conflicts.list', { from, to }), `${from}..${to}`).toEqual([]);
    }
    // The past is done with; the future is still to come.
    const rows = sqlite
      .prepare('SELECT starts_at, ends_at, status FROM appointment')
      .all() as Array<{ starts_at: number; ends_at: number; status: string }>;
    const now = Date.now();
    for (const r of rows) {
      if (r.ends_at <= now) expect(['completed', 'cancelled', 'no_show']).toContain(r.status);
      if (localDateOf(r.starts_at, setup.timeZone) > today)
        expect(['booked', 'confirmed', 'cancelled']).toContain(r.status);
    }
    // A second run adds to the book and leaves the set-up alone.
    const again = await seedAppointments(store, actor, Date.now, { count: 500 });
    expect(again.setupCreated).toBe(false);
    expect(count('SELECT count(*) FROM appointment')).toBe(3500);
    expect((await core.call('scheduling.setup', {})).setup.chairs).toHaveLength(10);
  });

  it('is reached from the command line with --appointments', async () => {
    const dataDir = tempDir('enamel-seed-cli-');
    dirs.push(dataDir);
    const init = await enamel(
      [
        'init',
        '--clinic',
        'Riverside Dental',
        '--admin-user',
        ADMIN.username,
        '--admin-name',
        ADMIN.displayName,
      ],
      dataDir,
    );
    expect(init.code, init.stderr).toBe(0);
    const seeded = await enamel(['seed', '--patients', '60', '--appointments', '400'], dataDir);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toMatch(/Added 400 appointments in [\d.]+ s/);
    const bad = await enamel(['seed', '--appointments', 'many'], dataDir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--appointments needs a whole number/);
  });
});

const ROOT = path.resolve(__dirname, '../..');

/** The CLI as a child process, killed if it runs too long. */
function enamel(
  args: string[],
  dataDir: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    ENAMEL_KDF: 'test',
    ENAMEL_DATA_DIR: dataDir,
    ENAMEL_PASSWORD: ADMIN.password,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
        path.join(ROOT, 'electron/cli/main.ts'),
        ...args,
      ],
      { cwd: ROOT, env },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end('');
  });
}
