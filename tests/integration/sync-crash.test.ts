import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { seedPatients } from '../../electron/core/seed/seed';
import {
  createClinicOn,
  dump,
  join,
  reopen,
  startLoopbackRelay,
  syncAll,
  verifyProblems,
  workstation,
  type LoopbackRelay,
  type Workstation,
} from '../support/sync';

const ROOT = path.resolve(__dirname, '../..');
// tsx's loader in this very process: its command-line wrapper would run the script in a second
// process that a SIGKILL of the wrapper leaves running.
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const CHILD = path.join(__dirname, 'sync-crash-child.ts');

/** How many times the workstation is killed, and the longest it runs before a kill. */
const KILLS = 5;
const MAX_RUN_MS = 2_500;

let relay: LoopbackRelay | null = null;
const stations: Workstation[] = [];
let child: ChildProcess | null = null;

afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = null;
  for (const s of stations.splice(0)) await s.close();
  await relay?.close();
  relay = null;
});

interface Run {
  created: string[];
  output: string;
}

/** Starts the child on `dir`, lets it work for `runMs` after it is ready, then kills it -9. */
function runAndKill(dir: string, tag: string, runMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = spawn(process.execPath, ['--import', TSX_LOADER, CHILD, dir, tag], {
      cwd: ROOT,
      env: { ...process.env, ENAMEL_LOG: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    const run: Run = { created: [], output: '' };
    let buffer = '';
    let killTimer: NodeJS.Timeout | null = null;
    const guard = setTimeout(() => started.kill('SIGKILL'), 60_000);
    started.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        run.output += `${line}\n`;
        if (line.startsWith('created ')) run.created.push(line.slice(8));
        if (line === 'ready' && !killTimer)
          killTimer = setTimeout(() => started.kill('SIGKILL'), runMs);
      }
    });
    started.stderr!.on('data', (chunk: Buffer) => (run.output += chunk.toString()));
    started.on('error', reject);
    started.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (killTimer) clearTimeout(killTimer);
      if (signal !== 'SIGKILL')
        reject(new Error(`child ended by itself (${code}):\n${run.output}`));
      else resolve(run);
    });
  });
}

describe('a workstation killed while it syncs', () => {
  it('loses nothing acknowledged and applies nothing twice, whenever it is killed', async () => {
    relay = await startLoopbackRelay();
    const a = await workstation();
    const b = await workstation();
    stations.push(a);
    await createClinicOn(a.core, relay.url);
    await join(a.core, b.core, relay.url);
    // Closed, not removed: the child processes work on its folder.
    await b.core.close();
    // A clinic with a large log: thousands of patients with their phones, alerts, documents.
    await seedPatients(a.core.openStore!, a.core.currentSession!.userId, Date.now, {
      count: 2_500,
    });
    await a.core.call('sync.now', {});
    const logged = await relay.relay.store.db
      .selectFrom('message')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(logged.n)).toBeGreaterThan(5_000);

    const acknowledged: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      const runMs = 200 + Math.floor(Math.random() * MAX_RUN_MS);
      const run = await runAndKill(b.dir, String(k), runMs);
      acknowledged.push(...run.created);
    }
    child = null;

    const reopened = await reopen(b.dir);
    stations.push({
      core: reopened,
      dir: b.dir,
      close: async () => {
        await reopened.close();
        fs.rmSync(b.dir, { recursive: true, force: true });
      },
    });
    await syncAll([reopened, a.core]);
    await syncAll([a.core, reopened]);
    // Every registration the killed workstation acknowledged is there, and reached the clinic.
    for (const id of acknowledged) {
      expect((await reopened.call('patients.get', { id })).givenNames).toMatch(/^Crash/);
      expect((await a.core.call('patients.get', { id })).givenNames).toMatch(/^Crash/);
    }
    expect(dump(reopened)).toBe(dump(a.core));
    const repeats = reopened
      .openStore!.sqlite.prepare(
        `SELECT count(*) FROM (SELECT 1 FROM change_log GROUP BY table_name, row_id, hlc
           HAVING count(*) > 1)`,
      )
      .pluck()
      .get();
    expect(repeats, 'a change applied twice').toBe(0);
    expect(await verifyProblems(reopened)).toEqual([]);
    expect(await verifyProblems(a.core)).toEqual([]);
    const status = await reopened.call('sync.status', {});
    expect(status).toMatchObject({ pending: 0, problems: 0, bootstrap: null });
  }, 180_000);
});
