import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DIALECTS,
  EventStream,
  loadSodium,
  newId,
  postgresUrl,
  RelayCaller,
  tempDir,
  TestDevice,
  withPostgres,
} from './support';

const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');

interface RunningRelay {
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<number | null>;
}

/** Starts `server/main.ts` as `npm run server` would, and waits for its listening line. */
async function startProcess(args: string[], env: NodeJS.ProcessEnv): Promise<RunningRelay> {
  const child = spawn(process.execPath, [TSX, 'server/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`relay exited early:\n${output}`));
    });
  });
  return { child, url, output: () => output, exit };
}

async function exitsWithin(
  exit: Promise<number | null>,
  ms: number,
): Promise<number | null | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const result = await Promise.race([exit, timeout]);
  clearTimeout(timer);
  return result;
}

describe.each(DIALECTS)('the relay process on %s', (dialect) => {
  let running: RunningRelay | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
    running = undefined;
    await cleanup?.();
    cleanup = undefined;
  });

  async function storeArgs(): Promise<{ args: string[]; env: NodeJS.ProcessEnv }> {
    if (dialect === 'sqlite') {
      const dir = tempDir();
      cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
      return { args: ['--db', path.join(dir, 'relay.sqlite')], env: { DATABASE_URL: '' } };
    }
    const base = postgresUrl();
    const schema = `relay_proc_${crypto.randomBytes(6).toString('hex')}`;
    await withPostgres(base, (c) => c.query(`CREATE SCHEMA ${schema}`));
    cleanup = () =>
      withPostgres(base, (c) => c.query(`DROP SCHEMA ${schema} CASCADE`)).then(() => undefined);
    const url = new URL(base);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return { args: [], env: { DATABASE_URL: url.toString() } };
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`serves, then stops cleanly on ${signal} with an event stream open`, async () => {
      const { args, env } = await storeArgs();
      running = await startProcess(['--port', '0', ...args], env);
      const health = await fetch(`${running.url}/health`, { signal: AbortSignal.timeout(10_000) });
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });
      expect(running.output()).toContain(`"store":"${dialect}"`);

      const sodium = await loadSodium();
      const caller = new RelayCaller(null, running.url);
      const device = new TestDevice(sodium, newId('dev'), newId('clinic'), newId('org'), Date.now);
      const created = await caller.request('POST', '/v1/clinics', {
        body: {
          organisation: device.organisation,
          clinic: device.clinic,
          device: { id: device.id, name: 'Front desk', ...device.publicKeys },
        },
      });
      expect(created.status).toBe(201);
      await device.signIn(caller);
      const events = await EventStream.open(
        running.url,
        `/v1/buckets/${device.clinicBucket}/events`,
        device.token,
      );
      await events.next('ready');

      running.child.kill(signal);
      expect(await events.endsWithin(10_000)).toBe(true);
      expect(await exitsWithin(running.exit, 15_000)).toBe(0);
      expect(running.output()).toContain('relay stopping');
    });
  }
});

describe('the relay command line', () => {
  it('explains a bad command line', async () => {
    const child = spawn(process.execPath, [TSX, 'server/main.ts', '--port', 'eighty'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await exitsWithin(new Promise((r) => child.on('exit', r)), 15_000);
    expect(code).toBe(2);
    expect(output).toMatch(/--port must be a number/);
  });
});
