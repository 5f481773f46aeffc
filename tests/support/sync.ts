import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildRelay, type Relay } from '../../server/app';
import { withPostgres } from '../integration/server/support';
import { checkChangeRecords, checkPages, checkSearchIndex } from '../../electron/cli/checks';
import { Core } from '../../electron/core/core';
import { REPLICATED_TABLES } from '../../electron/core/db/changes';
import type { SyncOptions } from '../../electron/core/sync/service';
import type { SyncStatus } from '../../shared/ipc/sync';
import { ADMIN, tempDir, TEST_KDF } from './core';

/** Sync driven step by step with `sync.now`: no timers, no event stream. */
export const MANUAL_SYNC: SyncOptions = { background: false };

export interface LoopbackRelay {
  relay: Relay;
  url: string;
  /** The SQLite file (with -wal beside it). */
  file: string;
  close(): Promise<void>;
}

/**
 * The relay of server/app.ts listening on 127.0.0.1 at a free port: on a SQLite file, or on
 * Postgres in a fresh schema of `postgres.url` (dropped on close).
 */
export async function startLoopbackRelay(
  options: { now?: () => number; postgres?: { url: string } } = {},
): Promise<LoopbackRelay & { schema: string | null }> {
  const dir = tempDir('enamel-relay-');
  const file = path.join(dir, 'relay.sqlite');
  const schema = options.postgres ? `sync_test_${crypto.randomBytes(6).toString('hex')}` : null;
  if (options.postgres && schema)
    await withPostgres(options.postgres.url, (c) => c.query(`CREATE SCHEMA ${schema}`));
  const relay = await buildRelay({
    store:
      options.postgres && schema
        ? { kind: 'postgres', url: options.postgres.url, schema, poolSize: 4 }
        : { kind: 'sqlite', file },
    rateLimits: false,
    log: false,
    ...(options.now ? { now: options.now } : {}),
  });
  await relay.app.listen({ port: 0, host: '127.0.0.1' });
  const address = relay.app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('relay has no address');
  return {
    relay,
    url: `http://127.0.0.1:${address.port}`,
    file,
    schema,
    async close() {
      await relay.close();
      if (options.postgres && schema)
        await withPostgres(options.postgres.url, (c) => c.query(`DROP SCHEMA ${schema} CASCADE`));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Workstation {
  core: Core;
  dir: string;
  close(): Promise<void>;
}

/** A set-up workstation (signed in as the practice manager) with sync options. */
export async function workstation(
  options: { now?: () => number; sync?: SyncOptions; dir?: string } = {},
): Promise<Workstation> {
  const dir = options.dir ?? tempDir();
  const { core } = await setUpCoreWithSync(dir, options);
  const station: Workstation = {
    core,
    dir,
    // The workstation's current Core: a test may have restarted it.
    async close() {
      await station.core.close();
      if (!options.dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return station;
}

async function setUpCoreWithSync(
  dir: string,
  options: { now?: () => number; sync?: SyncOptions },
): Promise<{ core: Core }> {
  const core = new Core({
    dataDir: dir,
    kdf: TEST_KDF,
    sync: options.sync ?? MANUAL_SYNC,
    ...(options.now ? { now: options.now } : {}),
  });
  await core.call('setup.createClinic', {
    clinic: {
      name: 'Riverside Dental',
      timeZone: 'Europe/London',
      country: 'GB',
      locale: 'en-GB',
      ageOfConsent: 16,
    },
    admin: ADMIN,
  });
  return { core };
}

/** Reopens a workstation's data folder as a new Core and signs in. */
export async function reopen(
  dir: string,
  options: { now?: () => number; sync?: SyncOptions } = {},
): Promise<Core> {
  const core = new Core({
    dataDir: dir,
    kdf: TEST_KDF,
    sync: options.sync ?? MANUAL_SYNC,
    ...(options.now ? { now: options.now } : {}),
  });
  await core.call('session.login', { username: ADMIN.username, password: ADMIN.password });
  return core;
}

/** Makes `core` the first workstation of a new clinic on the relay. */
export async function createClinicOn(core: Core, relayUrl: string, name = 'Front desk') {
  await core.call('sync.configure', { relayUrl });
  return core.call('sync.createClinicOnRelay', { deviceName: name });
}

/** Enrols `joiner` in `admin`'s clinic the way staff would: code, fingerprint, approval. */
export async function join(
  admin: Core,
  joiner: Core,
  relayUrl: string,
  name = 'Chair 2',
): Promise<SyncStatus> {
  const clinicCode = (await admin.call('sync.status', {})).clinicCode!;
  const shown = await joiner.call('sync.startJoin', { relayUrl, clinicCode, deviceName: name });
  const [request] = await admin.call('sync.pendingJoins', { code: shown.code });
  if (!request || request.fingerprint !== shown.fingerprint)
    throw new Error('the fingerprints on both screens differ');
  await admin.call('sync.approveJoin', { code: shown.code, fingerprint: shown.fingerprint });
  return joiner.call('sync.joinResult', {});
}

/** Rounds of `sync.now` on every core until a round changes nothing anywhere. */
export async function syncAll(cores: readonly Core[], rounds = 5): Promise<void> {
  let previous = '';
  for (let i = 0; i < rounds; i++) {
    for (const core of cores) await core.call('sync.now', {});
    const now = cores.map((c) => dump(c)).join('\n');
    if (now === previous) return;
    previous = now;
  }
}

/**
 * Every replicated row a workstation holds, in a fixed order, with its replicated columns, its
 * tombstone and its HLC: what must be identical on replicas that have seen the same changes.
 * A joiner's own set-up rows never leave it and are left out.
 */
export function dump(core: Core): string {
  const sqlite = core.openStore!.sqlite;
  const state = sqlite.prepare('SELECT outbox_from FROM sync_state').get() as {
    outbox_from: number;
  };
  const localOnly = new Set(
    (
      sqlite
        .prepare('SELECT table_name, row_id FROM change_log WHERE seq <= ? AND device_id = ?')
        .all(state.outbox_from, core.openStore!.deviceId) as Array<{
        table_name: string;
        row_id: string;
      }>
    ).map((r) => `${r.table_name}/${r.row_id}`),
  );
  const out: string[] = [];
  for (const [table, spec] of Object.entries(REPLICATED_TABLES)) {
    const columns = ['id', ...spec.columns, 'deleted', 'hlc'];
    const rows = sqlite
      .prepare(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM "${table}" ORDER BY id`)
      .raw()
      .all() as unknown[][];
    for (const row of rows)
      if (!localOnly.has(`${table}/${String(row[0])}`)) out.push(`${table} ${JSON.stringify(row)}`);
  }
  return out.join('\n');
}

/** Waits until `check` passes, polling every 20 ms, for at most `ms`. */
export async function eventually<T>(check: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** What `enamel verify` checks, on an open workstation: the problems found (none when sound). */
export async function verifyProblems(core: Core): Promise<string[]> {
  const sqlite = core.openStore!.sqlite;
  const problems = [
    checkPages(sqlite),
    checkSearchIndex(sqlite),
    checkChangeRecords(sqlite),
  ].flatMap((r) => r.problems);
  const audit = await core.call('audit.verify', {});
  if (!audit.ok) problems.push(`audit chain broken at ${audit.firstBroken?.seq}`);
  return problems;
}
