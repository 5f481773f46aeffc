import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Core } from '../../electron/core/core';
import { ADMIN, TEST_KDF, tempDir } from '../support/core';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const MAIN = path.join(ROOT, 'electron/cli/main.ts');
const RUN_TIMEOUT_MS = 60_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = tempDir('enamel-cli-test-');
  dirs.push(d);
  return d;
}

/** Runs the CLI as a child process, as an administrator would; killed if it runs too long. */
function enamel(
  args: string[],
  options: {
    dataDir: string;
    password?: string | null;
    stdin?: string;
    env?: Record<string, string | undefined>;
  },
): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    ENAMEL_KDF: 'test',
    ENAMEL_DATA_DIR: options.dataDir,
    ENAMEL_PASSWORD: options.password === null ? undefined : (options.password ?? ADMIN.password),
    ...options.env,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, MAIN, ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

async function init(dataDir: string, clinic = 'Riverside Dental'): Promise<Run> {
  const run = await enamel(
    ['init', '--clinic', clinic, '--admin-user', ADMIN.username, '--admin-name', ADMIN.displayName],
    { dataDir },
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run;
}

const sha256 = (file: string) =>
  crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** No stack traces, no password, in anything the CLI prints. */
function expectClean(run: Run): void {
  const all = run.stdout + run.stderr;
  expect(all).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(all).not.toContain(ADMIN.password);
}

describe('enamel CLI', () => {
  it('sets up, seeds, verifies, backs up and restores a clinic', { timeout: 240_000 }, async () => {
    const dataDir = newDir();
    const setup = await init(dataDir);
    const keys = setup.stdout.match(/\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){5,}\b/g) ?? [];
    expect(keys).toHaveLength(1);
    expect(setup.stdout).toMatch(/shown this once only/i);
    expectClean(setup);

    const seeded = await enamel(['seed', '--patients', '50'], { dataDir });
    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toMatch(/Added 50 patients/);
    expect(seeded.stderr).toMatch(/50 of 50/);
    expectClean(seeded);

    const verified = await enamel(['verify'], { dataDir });
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/All checks passed/);
    expect(verified.stdout).toMatch(/\(50 patients\)/);

    const backupFile = path.join(newDir(), 'riverside.enamel-backup');
    const backup = await enamel(['backup', '--out', backupFile], { dataDir });
    expect(backup.code).toBe(0);
    expect(fs.readFileSync(backupFile).subarray(0, 15).toString('latin1')).not.toBe(
      'SQLite format 3',
    );
    const again = await enamel(['backup', '--out', backupFile], { dataDir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);

    // A patient added after the backup disappears when the backup is restored.
    const more = await enamel(['seed', '--patients', '5', '--seed-value', 'later'], { dataDir });
    expect(more.code).toBe(0);
    const restored = await enamel(['restore', '--from', backupFile], { dataDir });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(fs.readdirSync(dataDir).filter((f) => f.startsWith('enamel.db'))).toEqual(['enamel.db']);
    expectClean(restored);

    const reverified = await enamel(['verify'], { dataDir });
    expect(reverified.code).toBe(0);
    expect(reverified.stdout).toMatch(/\(50 patients\)/);

    // The restored store opens in the app's core, with its patients searchable.
    const core = new Core({ dataDir, kdf: TEST_KDF });
    try {
      await core.login(ADMIN.username, ADMIN.password);
      const page = await core.call('patients.list', {
        offset: 0,
        limit: 100,
        includeArchived: true,
      });
      expect(page.total).toBe(50);
      const first = page.items[0]!;
      const found = await core.call('patients.search', {
        query: `${first.givenNames} ${first.familyName}`,
        limit: 50,
      });
      expect(found.items.map((p) => p.id)).toContain(first.id);
    } finally {
      await core.close();
    }
  });

  it(
    'refuses a backup keyed differently and leaves the store unchanged',
    { timeout: 240_000 },
    async () => {
      const dataDir = newDir();
      await init(dataDir);
      expect((await enamel(['seed', '--patients', '10'], { dataDir })).code).toBe(0);
      const otherDir = newDir();
      await init(otherDir, 'Hillside Dental');
      const foreign = path.join(newDir(), 'hillside.enamel-backup');
      expect((await enamel(['backup', '--out', foreign], { dataDir: otherDir })).code).toBe(0);

      const before = sha256(path.join(dataDir, 'enamel.db'));
      const listing = fs.readdirSync(dataDir).sort();
      const refused = await enamel(['restore', '--from', foreign], { dataDir });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/does not open with this clinic's key/);
      expect(refused.stderr).toMatch(/has not been changed/);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expectClean(refused);
      expect(sha256(path.join(dataDir, 'enamel.db'))).toBe(before);
      expect(fs.readdirSync(dataDir).sort()).toEqual(listing);

      // A plain, unencrypted SQLite file is refused too.
      const plain = path.join(newDir(), 'plain.db');
      fs.writeFileSync(
        plain,
        Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4080)]),
      );
      const plainRun = await enamel(['restore', '--from', plain], { dataDir });
      expect(plainRun.code).toBe(1);
      expect(plainRun.stderr).toMatch(/not encrypted/);
      expect(sha256(path.join(dataDir, 'enamel.db'))).toBe(before);

      expect((await enamel(['verify'], { dataDir })).code).toBe(0);
    },
  );

  it('finds a byte flipped in the middle of the data file', { timeout: 240_000 }, async () => {
    const dataDir = newDir();
    await init(dataDir);
    expect((await enamel(['seed', '--patients', '200'], { dataDir })).code).toBe(0);
    // A backup restored is compact (no free pages), so every page in the middle is in use.
    const backupFile = path.join(newDir(), 'compact.enamel-backup');
    expect((await enamel(['backup', '--out', backupFile], { dataDir })).code).toBe(0);
    expect((await enamel(['restore', '--from', backupFile], { dataDir })).code).toBe(0);

    const file = path.join(dataDir, 'enamel.db');
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const bytes = fs.readFileSync(file);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0x01;
    fs.writeFileSync(file, bytes);

    const run = await enamel(['verify'], { dataDir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/damaged|tampered|integrity/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expectClean(run);
  });

  it(
    'reads the password from standard input and never from options',
    { timeout: 120_000 },
    async () => {
      const dataDir = newDir();
      await init(dataDir);
      const piped = await enamel(['verify'], {
        dataDir,
        password: null,
        stdin: `${ADMIN.password}\nignored second line\n`,
      });
      expect(piped.code).toBe(0);
      expectClean(piped);

      const wrong = await enamel(['verify'], { dataDir, password: null, stdin: 'not it\n' });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/username or password is not right/);

      const flag = await enamel(['verify', `--password=${ADMIN.password}`], { dataDir });
      expect(flag.code).toBe(2);
      expect(flag.stderr).toMatch(/never taken as options/);
      expectClean(flag);
    },
  );

  it(
    'answers usage mistakes with status 2 and help with status 0',
    { timeout: 120_000 },
    async () => {
      const dataDir = newDir();
      const cases: Array<[string[], number, RegExp]> = [
        [['init', '--admin-user', 'admin', '--admin-name', 'A'], 2, /--clinic is required/],
        [['seed'], 2, /--patients is required/],
        [['seed', '--patients', 'lots'], 2, /whole number/],
        [['seed', '--patients', '10', '--frobnicate'], 2, /Unknown option/],
        [['restore'], 2, /--from is required/],
        [['frobnicate'], 2, /unknown command/],
        [['verify'], 1, /not set up yet/],
      ];
      for (const [args, code, message] of cases) {
        const run = await enamel(args, { dataDir });
        expect(run.code, args.join(' ')).toBe(code);
        expect(run.stderr, args.join(' ')).toMatch(message);
        expectClean(run);
      }
      for (const command of ['init', 'seed', 'verify', 'backup', 'restore']) {
        const run = await enamel([command, '--help'], { dataDir });
        expect(run.code, command).toBe(0);
        expect(run.stdout, command).toMatch(new RegExp(`Usage: enamel ${command}`));
      }
    },
  );

  it('refuses the weak test KDF outside a test runner', { timeout: 60_000 }, async () => {
    const dataDir = newDir();
    const run = await enamel(
      ['init', '--clinic', 'X Dental', '--admin-user', 'admin', '--admin-name', 'A Admin'],
      { dataDir, env: { NODE_ENV: 'production', VITEST: undefined, VITEST_WORKER_ID: undefined } },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/ENAMEL_KDF is only for the test suite/);
    expect(fs.existsSync(path.join(dataDir, 'keyring.json'))).toBe(false);
  });
});
