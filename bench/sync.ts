/**
 * Sync benchmarks: workstations (Cores, as the app runs them) and the relay of server/app.ts on
 * loopback, on a SQLite file.
 *
 * - sync_apply_changes_per_s: a workstation applying pulled pages (checksum, opening and
 *   checking each message, merging, change records, audit, search rows, cursor), pages fetched
 *   beforehand so the network is not counted.
 * - sync_bootstrap_200k_rows_s: a joining workstation pulling a clinic of ~200k row changes
 *   (45k seeded patients with their phones, alerts, documents and insurance) from the relay.
 * - api_stall_during_bootstrap_max_ms: the longest patient search on that workstation while
 *   its bootstrap runs (searches issued back to back).
 * - sync_visible_p50_ms: an edit on one workstation until `patients.get` on another returns it,
 *   with the production timing (push on change, poke, pull).
 * - bytes_per_change: push request body bytes on the wire (compressed as sent) per row change for
 *   typical patient edits.
 * - sync_push_changes_per_s (informational): sealing, signing and pushing the 200k changes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { buildRelay, type Relay } from '../server/app';
import { Core, type CoreOptions } from '../electron/core/core';
import { seedPatients } from '../electron/core/seed/seed';
import { ChangeApplier } from '../electron/core/sync/apply';
import { BULK_STEP_MS, BulkWrites } from '../electron/core/sync/bulk';
import { RelayAuth } from '../electron/core/sync/auth';
import { loadSyncCrypto } from '../electron/core/sync/crypto';
import { decodePayload, pageChecksumOf } from '../electron/core/sync/messages';
import { applyOpened, openMessage } from '../electron/core/sync/pull';
import { deviceKeysOf, readClinicKeys, readState, updateState } from '../electron/core/sync/state';
import { inTransaction } from '../electron/core/sync/store-access';
import { RelayTransport, type FetchLike } from '../electron/core/sync/transport';
import { SCHEMA_VERSION } from '../electron/core/db/migrations';
import type { PatientInput } from '../shared/domain/patient';
import { DEFLATE_DICTIONARY_ENCODING, PUSH_DICTIONARY } from '../shared/sync/compression';
import { clinicBucketId, type PullPage } from '../shared/sync/protocol';
import { median, percentile, round } from './stats';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  budget: number | null;
}

const KDF = { opslimit: 1, memlimit: 8 * 1024 * 1024 };
const ADMIN = { username: 'bench', password: 'correct horse battery staple', displayName: 'Bench' };
/** Row changes in the clinic; `SYNC_BENCH_ROWS` makes a smaller one for a quick look. */
const TARGET_ROWS = Number(process.env.SYNC_BENCH_ROWS ?? 200_000);
const VISIBLE_SAMPLES = 40;

interface Bench {
  root: string;
  relay: Relay;
  url: string;
  cores: Core[];
}

async function station(b: Bench, sync: CoreOptions['sync']): Promise<Core> {
  const core = new Core({
    dataDir: fs.mkdtempSync(path.join(b.root, 'ws-')),
    kdf: KDF,
    sync: sync ?? {},
  });
  b.cores.push(core);
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
  return core;
}

async function createClinic(b: Bench, core: Core): Promise<void> {
  await core.call('sync.configure', { relayUrl: b.url });
  await core.call('sync.createClinicOnRelay', { deviceName: 'Front desk' });
}

async function join(b: Bench, admin: Core, joiner: Core, name: string): Promise<void> {
  const clinicCode = (await admin.call('sync.status', {})).clinicCode!;
  const shown = await joiner.call('sync.startJoin', {
    relayUrl: b.url,
    clinicCode,
    deviceName: name,
  });
  await admin.call('sync.approveJoin', { code: shown.code, fingerprint: shown.fingerprint });
  await joiner.call('sync.joinResult', {});
}

function patient(i: number): PatientInput {
  return {
    title: null,
    givenNames: `Bench${i}`,
    familyName: 'Visible',
    patronymic: null,
    preferredName: null,
    dateOfBirth: '1980-01-01',
    sex: 'female',
    gender: null,
    phones: [{ number: '07911 123456', type: 'mobile', preferred: true }],
    email: null,
    address: { line1: null, line2: null, city: null, region: null, postalCode: null },
    preferredLanguage: null,
    documents: [],
    insurance: [],
    alerts: [],
    notes: null,
    status: 'active',
    chartNumber: null,
  };
}

/** Fetches every page of the clinic's bucket with `core`'s credentials. */
async function fetchAllPages(core: Core): Promise<PullPage[]> {
  const store = core.openStore!;
  const state = readState(store.sqlite);
  const keys = deviceKeysOf(state)!;
  const { crypto } = await loadSyncCrypto();
  const transport = new RelayTransport({ baseUrl: state.relay_url!, fetch, now: Date.now });
  const auth = new RelayAuth(transport, state.device_id!, keys.signingSecret, crypto, Date.now);
  const pages: PullPage[] = [];
  let cursor = '0';
  for (let i = 0; i < 100_000; i++) {
    const page = await auth.run((token) =>
      transport.pull(token, clinicBucketId(state.clinic_id!), cursor),
    );
    pages.push(page);
    cursor = page.nextCursor;
    if (!page.more) return pages;
  }
  throw new Error('the log did not end');
}

/** CPU time of this process (all threads) since `since`, in ms; the machine may be shared. */
function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** The engine's per-page work, on `core`'s store, timed. */
async function applyPages(
  core: Core,
  pages: readonly PullPage[],
  log: (line: string) => void,
): Promise<number> {
  const store = core.openStore!;
  const { crypto, sodium } = await loadSyncCrypto();
  const keys = readClinicKeys(store.sqlite)!;
  const applier = new ChangeApplier(store.sqlite);
  const context = { crypto, keys, self: store.clock.node, schema: SCHEMA_VERSION };
  let changes = 0;
  // The engine's settings for applying many pages (sync/bulk.ts), checkpoints paced the same way.
  const bulk = new BulkWrites(store.sqlite, BULK_STEP_MS);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (const page of pages) {
    const payloads = page.messages.map((m) => decodePayload(m.payload));
    if (pageChecksumOf(page.messages, payloads) !== page.checksum) throw new Error('checksum');
    const opened = page.messages.map((m, i) => openMessage(m, context, payloads[i]));
    applier.prepare(opened.flatMap((o) => (o.change ? [o.change] : [])));
    await inTransaction(
      store,
      () => {
        const outcome = applyOpened(
          {
            sqlite: store.sqlite,
            applier,
            clock: store.clock,
            sodium,
            bucket: page.messages[0]?.header.bucket ?? '',
            localDeviceId: store.deviceId,
            at: new Date().toISOString(),
            now: Date.now,
          },
          opened,
        );
        updateState(store.sqlite, { cursor: page.nextCursor });
        changes += outcome.applied;
      },
      { foreignKeysOff: true },
    );
    if (bulk.sliceApplied()) bulk.checkpoint();
  }
  const seconds = (performance.now() - t0) / 1000;
  bulk.restore();
  log(
    `  apply: ${changes} changes in ${round(seconds, 2)} s, CPU ${round(cpuMs(cpu) / 1000, 2)} s`,
  );
  return changes / seconds;
}

async function measureVisibility(b: Bench, log: (line: string) => void): Promise<number> {
  // Production timing: push on change, the relay's pokes, pulls.
  const a = await station(b, {});
  const c = await station(b, {});
  await createClinic(b, a);
  await join(b, a, c, 'Chair side');
  const p = await a.call('patients.create', { patient: patient(0) });
  const wait = async (check: () => Promise<boolean>, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('not visible within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  await wait(async () => (await c.dispatch('patients.get', { id: p.id })).ok);
  const samples: number[] = [];
  for (let i = 0; i < VISIBLE_SAMPLES; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const notes = `Visit ${i}`;
    const t0 = performance.now();
    await a.call('patients.update', { id: p.id, patch: { notes } });
    await wait(async () => (await c.call('patients.get', { id: p.id })).notes === notes);
    samples.push(performance.now() - t0);
  }
  log(
    `  visible: p50 ${round(median(samples), 1)} ms, p95 ${round(percentile(samples, 95), 1)} ms`,
  );
  return median(samples);
}

async function measureBytes(b: Bench): Promise<number> {
  let pushedBytes = 0;
  let pushedMessages = 0;
  const counting: FetchLike = async (url, init) => {
    if (url.endsWith('/push')) {
      // The bytes as they travel: JSON text, or compressed (shared/sync/compression.ts).
      const body = init.body;
      const bytes =
        typeof body === 'string' ? Buffer.from(body) : body instanceof Uint8Array ? body : null;
      if (!bytes) throw new Error('a push body the bench cannot count');
      const encoding = new Headers(init.headers).get('content-encoding');
      const json =
        encoding === DEFLATE_DICTIONARY_ENCODING
          ? zlib.inflateRawSync(bytes, { dictionary: Buffer.from(PUSH_DICTIONARY) })
          : bytes;
      pushedBytes += bytes.length;
      pushedMessages += (JSON.parse(Buffer.from(json).toString('utf8')) as { messages: unknown[] })
        .messages.length;
    }
    return fetch(url, init);
  };
  const a = await station(b, { background: false, fetch: counting });
  await createClinic(b, a);
  const ids: string[] = [];
  for (let i = 0; i < 20; i++)
    ids.push(
      (await a.call('patients.create', { patient: patient(i), duplicatesReviewed: true })).id,
    );
  await a.call('sync.now', {});
  pushedBytes = 0;
  pushedMessages = 0;
  // Typical edits at the front desk, each sent on its own as the app sends it.
  for (const [i, id] of ids.entries()) {
    await a.call('patients.update', { id, patch: { notes: `Prefers mornings ${i}` } });
    await a.call('sync.now', {});
    await a.call('patients.update', {
      id,
      patch: { phones: [{ number: '07911 123457', type: 'mobile', preferred: true }] },
    });
    await a.call('sync.now', {});
    await a.call('patients.update', { id, patch: { email: `patient${i}@example.org` } });
    await a.call('sync.now', {});
  }
  return pushedBytes / pushedMessages;
}

export async function runSyncBench(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<BenchResult[]> {
  const previousLog = process.env.ENAMEL_LOG;
  process.env.ENAMEL_LOG = 'silent';
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'enamel-sync-bench-'));
  const relay = await buildRelay({
    store: { kind: 'sqlite', file: path.join(root, 'relay.sqlite') },
    rateLimits: false,
    log: false,
  });
  await relay.app.listen({ port: 0, host: '127.0.0.1' });
  const address = relay.app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('relay has no address');
  const b: Bench = { root, relay, url: `http://127.0.0.1:${address.port}`, cores: [] };
  const results: BenchResult[] = [];
  try {
    // A clinic of ~200k row changes on the first workstation, pushed to the relay.
    const a = await station(b, { background: false });
    await createClinic(b, a);
    const joiner = await station(b, { background: false });
    const applyTarget = await station(b, { background: false });
    await join(b, a, joiner, 'Surgery 2');
    await join(b, a, applyTarget, 'Surgery 3');
    const own = () =>
      a.openStore!.sqlite.prepare('SELECT count(*) FROM change_log').pluck().get() as number;
    log('  seeding the clinic…');
    let seeded = 0;
    while (own() < TARGET_ROWS) {
      const count = Math.max(1000, Math.ceil((TARGET_ROWS - own()) / 2.8));
      await seedPatients(a.openStore!, a.currentSession!.userId, Date.now, {
        count,
        seedValue: `bench-${seeded}`,
      });
      seeded += count;
    }
    const rows = own();
    log(`  ${seeded} patients, ${rows} row changes; pushing…`);
    let t0 = performance.now();
    let cpu = process.cpuUsage();
    await a.call('sync.now', {});
    const pushSeconds = (performance.now() - t0) / 1000;
    log(
      `  push: ${rows} changes in ${round(pushSeconds, 2)} s, CPU ${round(cpuMs(cpu) / 1000, 2)} s (relay included)`,
    );
    results.push({
      name: 'sync_push_changes_per_s',
      value: Math.round(rows / pushSeconds),
      unit: 'changes/s',
      budget: null,
    });

    log('  applying pre-fetched pages…');
    // In a function of its own, so the fetched pages can be collected before the bootstrap.
    const perSecond = await applyPages(applyTarget, await fetchAllPages(a), log);
    results.push({
      name: 'sync_apply_changes_per_s',
      value: Math.round(perSecond),
      unit: 'changes/s',
      budget: 50_000,
    });

    log('  bootstrapping a joining workstation while searching on it…');
    let searching = true;
    const stalls: number[] = [];
    // Searches as the front desk types them (every 20 ms), each timed from when it was due: a
    // search waits for whatever holds the event loop or the store when it arrives.
    const searches = (async () => {
      const queries = ['a', 'mar', 'sm', 'jo', 'lee', 'k', 'ng'];
      for (let i = 0; searching; i++) {
        const due = performance.now() + 20;
        await new Promise((resolve) => setTimeout(resolve, 20));
        await joiner.call('patients.search', { query: queries[i % queries.length]!, limit: 20 });
        stalls.push(performance.now() - due);
      }
    })();
    t0 = performance.now();
    cpu = process.cpuUsage();
    const after = await joiner.call('sync.now', {});
    const bootstrapSeconds = (performance.now() - t0) / 1000;
    const bootstrapCpu = cpuMs(cpu);
    if (after.error || after.bootstrap) throw new Error(`bootstrap did not finish: ${after.error}`);
    searching = false;
    await searches;
    const pulled = joiner
      .openStore!.sqlite.prepare('SELECT count(*) FROM change_log')
      .pluck()
      .get() as number;
    log(
      `  bootstrap: ${pulled} changes in ${round(bootstrapSeconds, 2)} s, CPU ${round(bootstrapCpu / 1000, 2)} s (relay and searches included); ${stalls.length} searches, waits p50 ${round(median(stalls), 1)} ms, p99 ${round(percentile(stalls, 99), 1)} ms`,
    );
    results.push({
      name: 'sync_bootstrap_200k_rows_s',
      value: round(bootstrapSeconds, 2),
      unit: 's',
      budget: 10,
    });
    results.push({
      name: 'api_stall_during_bootstrap_max_ms',
      value: round(Math.max(...stalls), 1),
      unit: 'ms',
      budget: 50,
    });

    log('  visibility between two workstations…');
    results.push({
      name: 'sync_visible_p50_ms',
      value: round(await measureVisibility(b, log), 1),
      unit: 'ms',
      budget: 200,
    });
    results.push({
      name: 'bytes_per_change',
      value: Math.round(await measureBytes(b)),
      unit: 'bytes',
      budget: 300,
    });
    return results;
  } finally {
    for (const core of b.cores) await core.close().catch(() => undefined);
    await relay.close();
    fs.rmSync(root, { recursive: true, force: true });
    if (previousLog === undefined) delete process.env.ENAMEL_LOG;
    else process.env.ENAMEL_LOG = previousLog;
  }
}

const invokedDirectly =
  typeof process.argv[1] === 'string' && /bench[/\\]sync\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  runSyncBench().then(
    (results) => {
      for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(
        `sync bench failed: ${(error as Error)?.name}: ${(error as Error)?.message}\n`,
      );
      process.exit(1);
    },
  );
}
