import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sodiumModule from 'libsodium-wrappers-sumo';
import pg from 'pg';
import { encodeHlc } from '../shared/hlc';
import { encodeBase64 } from '../shared/sync/base64';
import {
  encodeColumns,
  sealPayload,
  signBatch,
  signChallenge,
  type Ed25519Signer,
  type RandomSource,
  type XChaCha20Poly1305,
} from '../shared/sync/crypto';
import {
  clinicBucketId,
  type MessageHeader,
  type PushResult,
  type SyncMessage,
} from '../shared/sync/protocol';

/**
 * Relay ingest: four workstations push sealed row changes at once over loopback to a relay
 * running in its own process (`server/main.ts`, as deployed), on SQLite and on Postgres.
 * Batches are sealed and signed before the clock starts, so the figure is the relay's.
 */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  budget: number;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Node's own loader hook for TypeScript: one process, signals straight to the relay. */
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const DEVICES = 4;
const BATCHES_PER_DEVICE = 30;
const MESSAGES_PER_BATCH = 500;
/** Patients of a three-dentist clinic (about 1,500 each); one change in five is clinic-wide. */
const PATIENTS = 4_500;

type Sodium = typeof sodiumModule;
type ClientCrypto = Ed25519Signer & XChaCha20Poly1305 & RandomSource;

function clientCrypto(sodium: Sodium): ClientCrypto {
  return {
    signDetached: (m, k) => sodium.crypto_sign_detached(m, k),
    encrypt: (p, ad, n, k) => sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(p, ad, null, n, k),
    decrypt: (c, ad, n, k) => sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, c, ad, n, k),
    // Same CSPRNG as libsodium's in Node, without a copy through WebAssembly per nonce.
    randomBytes: (n) => new Uint8Array(crypto.randomBytes(n)),
  };
}

interface RelayProcess {
  url: string;
  stop(): Promise<void>;
}

async function startRelayProcess(args: string[], env: NodeJS.ProcessEnv): Promise<RelayProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(process.env.RELAY_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      TSX_LOADER,
      'server/main.ts',
      ...args,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ENAMEL_RELAY_RATE_LIMIT: '1000000', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // Keep only the tail: request logs of a long run would otherwise pile up here.
      if (output.length > 100_000) output = output.slice(-10_000);
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => reject(new Error(`relay exited:\n${output}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function call<T>(url: string, method: string, body?: string, token?: string): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

interface BenchDevice {
  id: string;
  keys: { publicKey: Uint8Array; privateKey: Uint8Array };
  box: { publicKey: Uint8Array };
  token: string;
}

async function signIn(base: string, c: ClientCrypto, device: BenchDevice): Promise<void> {
  const { nonce } = await call<{ nonce: string }>(
    `${base}/v1/auth/challenge`,
    'POST',
    JSON.stringify({ device: device.id }),
  );
  const signature = signChallenge(c, device.id, nonce, device.keys.privateKey);
  const { token } = await call<{ token: string }>(
    `${base}/v1/auth/token`,
    'POST',
    JSON.stringify({ device: device.id, nonce, signature }),
  );
  device.token = token;
}

/** One clinic with four enrolled workstations: the first bootstraps, the others enrol. */
async function enrolDevices(base: string, sodium: Sodium, c: ClientCrypto) {
  const suffix = crypto.randomBytes(4).toString('hex');
  const clinic = `bench-clinic-${suffix}`;
  const devices: BenchDevice[] = Array.from({ length: DEVICES }, (_, i) => ({
    id: `bench-dev-${i}-${suffix}`,
    keys: sodium.crypto_sign_keypair(),
    box: sodium.crypto_box_keypair(),
    token: '',
  }));
  const keysOf = (d: BenchDevice) => ({
    signingKey: encodeBase64(d.keys.publicKey),
    boxKey: encodeBase64(d.box.publicKey),
  });
  const [admin, ...others] = devices as [BenchDevice, ...BenchDevice[]];
  await call(
    `${base}/v1/clinics`,
    'POST',
    JSON.stringify({
      organisation: `bench-org-${suffix}`,
      clinic,
      device: { id: admin.id, name: 'Bench desk 0', ...keysOf(admin) },
    }),
  );
  await signIn(base, c, admin);
  for (const [i, d] of others.entries()) {
    const code = `BENCH${suffix.toUpperCase()}${i}`;
    await call(
      `${base}/v1/enrol/requests`,
      'POST',
      JSON.stringify({
        code,
        clinic,
        device: { id: d.id, name: `Bench desk ${i + 1}`, ...keysOf(d) },
      }),
    );
    const sealed = sodium.crypto_box_seal(sodium.randombytes_buf(32), d.box.publicKey);
    await call(
      `${base}/v1/enrol/requests/${code}/approve`,
      'POST',
      JSON.stringify({ sealedClinicKey: encodeBase64(sealed), keyId: 'clinic-1' }),
      admin.token,
    );
    await signIn(base, c, d);
  }
  return { clinic, devices };
}

/** Sealed, signed and serialised push bodies, ready before timing starts. */
function prepareBatches(c: ClientCrypto, sodium: Sodium, clinic: string, device: BenchDevice) {
  const key = sodium.randombytes_buf(32);
  const bucket = clinicBucketId(clinic);
  let seq = 0;
  const now = Date.now();
  const patients = Array.from({ length: PATIENTS }, () => crypto.randomUUID());
  return Array.from({ length: BATCHES_PER_DEVICE + 1 }, () => {
    const messages: SyncMessage[] = Array.from({ length: MESSAGES_PER_BATCH }, () => {
      seq += 1;
      const header: MessageHeader = {
        v: 1,
        bucket,
        device: device.id,
        deviceSeq: seq,
        hlc: encodeHlc({ millis: now, counter: seq % 65_536, node: device.id }),
        table: 'patient_phone',
        rowId: crypto.randomUUID(),
        subject: seq % 5 === 0 ? null : patients[crypto.randomInt(PATIENTS)]!,
        op: 'upsert',
        schema: 1,
        keyId: 'clinic-1',
      };
      const columns = { e164: '+447911123456', type: 'mobile', preferred: 1, hlc: header.hlc };
      return { header, payload: sealPayload(c, header, encodeColumns(columns), key) };
    });
    return JSON.stringify(signBatch(c, device.id, messages, device.keys.privateKey));
  });
}

async function measureIngest(base: string): Promise<number> {
  await sodiumModule.ready;
  const sodium = sodiumModule;
  const c = clientCrypto(sodium);
  const { clinic, devices } = await enrolDevices(base, sodium, c);
  const prepared = devices.map((d) => prepareBatches(c, sodium, clinic, d));
  const bucket = clinicBucketId(clinic);
  const push = async (device: BenchDevice, body: string) => {
    const result = await call<PushResult>(
      `${base}/v1/buckets/${bucket}/push`,
      'POST',
      body,
      device.token,
    );
    if (result.rejected.length > 0) throw new Error(`rejected: ${result.rejected[0]!.message}`);
  };
  // Warm-up: first batch of each device, untimed.
  await Promise.all(devices.map((d, i) => push(d, prepared[i]![0]!)));
  const started = performance.now();
  await Promise.all(
    devices.map(async (d, i) => {
      for (const body of prepared[i]!.slice(1)) await push(d, body);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return Math.round((DEVICES * BATCHES_PER_DEVICE * MESSAGES_PER_BATCH) / seconds);
}

function benchPostgresUrl(): string | undefined {
  return (
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL
  );
}

async function withPostgres<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function sqliteIngest(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enamel-relay-bench-'));
  const relay = await startRelayProcess(['--port', '0', '--db', path.join(dir, 'relay.sqlite')], {
    DATABASE_URL: '',
  });
  try {
    return await measureIngest(relay.url);
  } finally {
    await relay.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresIngest(base: string): Promise<number> {
  const schema = `relay_bench_${crypto.randomBytes(6).toString('hex')}`;
  await withPostgres(base, (client) => client.query(`CREATE SCHEMA ${schema}`));
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  try {
    const relay = await startRelayProcess(['--port', '0'], { DATABASE_URL: url.toString() });
    try {
      return await measureIngest(relay.url);
    } finally {
      await relay.stop();
    }
  } finally {
    await withPostgres(base, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
  }
}

/**
 * Measures relay ingest on SQLite, and on Postgres when BENCH_DATABASE_URL, TEST_DATABASE_URL or
 * DATABASE_URL names one (without it the Postgres figure is missing and a warning goes to stderr).
 */
export async function runRelayBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [
    {
      name: 'relay_ingest_changes_per_s_sqlite',
      value: await sqliteIngest(),
      unit: 'changes/s',
      budget: 20_000,
    },
  ];
  const url = benchPostgresUrl();
  if (url)
    results.push({
      name: 'relay_ingest_changes_per_s_postgres',
      value: await postgresIngest(url),
      unit: 'changes/s',
      budget: 10_000,
    });
  else
    process.stderr.write(
      'relay bench: no BENCH_DATABASE_URL/TEST_DATABASE_URL/DATABASE_URL, Postgres not measured\n',
    );
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runRelayBench().then(
    (results) => process.stdout.write(`${JSON.stringify(results, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
