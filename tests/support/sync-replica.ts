import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { REPLICATED_TABLES } from '../../electron/core/db/changes';
import { createKysely } from '../../electron/core/db/kysely';
import { migrate, SCHEMA_VERSION } from '../../electron/core/db/migrations';
import { createStore, openStore } from '../../electron/core/db/store';
import { OpenStore } from '../../electron/core/store-session';
import { ChangeApplier } from '../../electron/core/sync/apply';
import { loadSyncCrypto } from '../../electron/core/sync/crypto';
import { nextBatch, prepareOutbox } from '../../electron/core/sync/outbox';
import { applyOpened, openMessage, type Opened } from '../../electron/core/sync/pull';
import { inTransaction } from '../../electron/core/sync/store-access';
import type { PulledMessage, SyncMessage } from '../../shared/sync/protocol';
import { tempDir } from './core';

/**
 * A replica without a Core or a relay: an encrypted store written through changes.ts, whose
 * changes leave through the real outbox (numbered, sealed) and whose incoming changes go
 * through the real open-and-apply path. For merge tests that need many replicas or hostile
 * delivery (any order, repeats), which a relay would not produce.
 */
export const REPLICA_BUCKET = 'clinic.replicas';
export const STAFF_ID = '01934d5e-0000-7000-8000-0000000000a1';

export class ReplicaFactory {
  readonly root: string;
  readonly key = new Uint8Array(crypto.randomBytes(32));
  readonly clinicKey = new Uint8Array(crypto.randomBytes(32));
  private template = '';
  private count = 0;

  constructor() {
    this.root = tempDir('enamel-replicas-');
  }

  /** An empty store at the latest schema, copied for each replica (migrating takes ~100 ms). */
  private async ensureTemplate(): Promise<void> {
    if (this.template) return;
    const file = path.join(this.root, 'template.db');
    const sqlite = createStore(file, this.key);
    const db = createKysely(sqlite);
    await migrate(db as unknown as Kysely<unknown>);
    await db.destroy();
    this.template = file;
  }

  async create(): Promise<Replica> {
    await this.ensureTemplate();
    const file = path.join(this.root, `r${this.count++}.db`);
    fs.copyFileSync(this.template, file);
    const replica = new Replica(file, this.key, this.clinicKey);
    await replica.open();
    return replica;
  }

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export class Replica {
  store!: OpenStore;
  private clockNow: () => number = Date.now;
  private applier: ChangeApplier | null = null;
  /** Step index until which this replica is cut off from the others (property tests). */
  cutOffUntil = -1;

  constructor(
    readonly file: string,
    readonly key: Uint8Array,
    readonly clinicKey: Uint8Array,
    private readonly now: () => number = Date.now,
  ) {}

  /** Opening gives a fresh copy its own device id and clock; a reopen resumes them. */
  async open(now: () => number = this.now): Promise<void> {
    this.clockNow = now;
    this.store = await OpenStore.fromSqlite(
      openStore(this.file, this.key, { keyVerified: true }),
      this.key,
      now,
    );
    this.applier = null;
  }

  async restart(now?: () => number): Promise<void> {
    await this.store.close();
    await this.open(now);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** Closes and deletes the replica's files. */
  async dispose(): Promise<void> {
    await this.store.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(this.file + suffix, { force: true });
  }

  get writer() {
    return this.store.writer(STAFF_ID, () => new Date());
  }

  get changeApplier(): ChangeApplier {
    this.applier ??= new ChangeApplier(this.store.sqlite);
    return this.applier;
  }

  ids(table: string, where = 'deleted = 0'): string[] {
    return this.store.sqlite
      .prepare(`SELECT id FROM "${table}" WHERE ${where} ORDER BY id`)
      .pluck()
      .all() as string[];
  }

  row(table: string, id: string): Record<string, unknown> | undefined {
    return this.store.sqlite.prepare(`SELECT * FROM "${table}" WHERE id = ?`).get(id) as
      Record<string, unknown> | undefined;
  }

  /** This replica's new changes, numbered and sealed as the outbox does, then handed over. */
  async send(): Promise<SyncMessage[]> {
    const store = this.store;
    const context = {
      sqlite: store.sqlite,
      crypto: syncCryptoSync(),
      localDeviceId: store.deviceId,
      relayDevice: store.clock.node,
      bucket: REPLICA_BUCKET,
      keys: { currentId: 'k1', byId: new Map([['k1', this.clinicKey]]) },
      schema: SCHEMA_VERSION,
    };
    await inTransaction(store, () => prepareOutbox(context, new Date().toISOString(), 1_000_000));
    return inTransaction(store, () => {
      const out: SyncMessage[] = [];
      for (let after = 0; ;) {
        const batch = nextBatch(context, after, '');
        if (batch.messages.length === 0) break;
        out.push(...batch.messages);
        after = batch.deviceSeqs.at(-1)!;
      }
      store.sqlite.prepare('DELETE FROM sync_outbox').run();
      return out;
    });
  }

  /** Opens and applies messages in one transaction, as a pulled page is. */
  async deliver(
    messages: readonly PulledMessage[],
    options: { schema?: number } = {},
  ): Promise<Opened[]> {
    const store = this.store;
    const opened = messages.map((m) =>
      openMessage(m, {
        crypto: syncCryptoSync(),
        keys: { currentId: 'k1', byId: new Map([['k1', this.clinicKey]]) },
        self: this.store.clock.node,
        schema: options.schema ?? SCHEMA_VERSION,
      }),
    );
    const applier = this.changeApplier;
    await inTransaction(
      store,
      () =>
        applyOpened(
          {
            sqlite: store.sqlite,
            applier,
            clock: store.clock,
            sodium: sodiumSync(),
            bucket: REPLICA_BUCKET,
            localDeviceId: store.deviceId,
            at: new Date().toISOString(),
            now: this.clockNow,
          },
          opened,
        ),
      { foreignKeysOff: true },
    );
    return opened;
  }

  /** Canonical dump: every replicated row with its columns, tombstone and HLC; search rows. */
  dump(): string {
    const out: string[] = [];
    for (const [table, spec] of Object.entries(REPLICATED_TABLES)) {
      const columns = ['id', ...spec.columns, 'deleted', 'hlc'];
      const rows = this.store.sqlite
        .prepare(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM "${table}" ORDER BY id`)
        .raw()
        .all();
      for (const row of rows) out.push(`${table} ${JSON.stringify(row)}`);
    }
    // Search rows follow the merged names and phones (phones in whatever order they were read).
    const search = (
      this.store.sqlite
        .prepare(
          `SELECT k.patient_id, s.names, s.phones FROM patient_search s
           JOIN patient_search_key k ON k.key = s.rowid ORDER BY k.patient_id`,
        )
        .raw()
        .all() as string[][]
    ).map(([id, names, phones]) => [id, names, phones!.split(' ').sort().join(' ')]);
    out.push(`search ${JSON.stringify(search)}`);
    return out.join('\n');
  }
}

/** Messages as a relay would hand them out, numbered from `from`. */
export function asLog(messages: readonly SyncMessage[], from = 1): PulledMessage[] {
  return messages.map((m, i) => ({ serverSeq: from + i, header: m.header, payload: m.payload }));
}

let loaded: Awaited<ReturnType<typeof loadSyncCrypto>> | null = null;

/** Loads libsodium once; call before using replicas. */
export async function loadReplicaCrypto(): Promise<void> {
  loaded ??= await loadSyncCrypto();
}

function syncCryptoSync() {
  if (!loaded) throw new Error('call loadReplicaCrypto() first');
  return loaded.crypto;
}

function sodiumSync() {
  if (!loaded) throw new Error('call loadReplicaCrypto() first');
  return loaded.sodium;
}
