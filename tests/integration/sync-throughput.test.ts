import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertRecord } from '../../electron/core/db/changes';
import { SCHEMA_VERSION } from '../../electron/core/db/migrations';
import { BulkWrites } from '../../electron/core/sync/bulk';
import { loadSyncCrypto } from '../../electron/core/sync/crypto';
import {
  nextBatch,
  newestChange,
  prepareOutbox,
  skipAppliedChanges,
  type OutboxContext,
} from '../../electron/core/sync/outbox';
import { readState } from '../../electron/core/sync/state';
import { inTransaction } from '../../electron/core/sync/store-access';
import { RelayTransport, RelayUnreachable } from '../../electron/core/sync/transport';
import { signBatch, verifyBatchSignature } from '../../shared/sync/crypto';
import type { PulledMessage } from '../../shared/sync/protocol';
import type { Replica } from '../support/sync-replica';
import { asLog, loadReplicaCrypto, REPLICA_BUCKET, ReplicaFactory } from '../support/sync-replica';

/**
 * The parts that make pulling and pushing fast keep their guarantees: paced checkpoints, the
 * outbox mark moved past applied changes, cheaper header checks, signatures over bytes at hand,
 * pages checked message by message.
 */
let factory: ReplicaFactory;
const open: Replica[] = [];

beforeAll(async () => {
  await loadReplicaCrypto();
  factory = new ReplicaFactory();
});
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});
afterAll(() => factory.dispose());

async function replica(): Promise<Replica> {
  const r = await factory.create();
  open.push(r);
  return r;
}

let charts = 1000;

async function addPatient(r: Replica, given: string): Promise<string> {
  const { id } = await r.store.db.transaction().execute((tx) =>
    insertRecord(tx, r.writer, 'patient', {
      chart_number: String(charts++),
      given_names: given,
      family_name: 'Okafor',
      date_of_birth: '1990-01-01',
      sex: 'female',
      status: 'active',
      name_key: '',
    }),
  );
  return id;
}

async function outboxOf(r: Replica): Promise<OutboxContext> {
  const { crypto } = await loadSyncCrypto();
  return {
    sqlite: r.store.sqlite,
    crypto,
    localDeviceId: r.store.deviceId,
    relayDevice: r.store.clock.node,
    bucket: REPLICA_BUCKET,
    keys: { currentId: 'k1', byId: new Map([['k1', r.clinicKey]]) },
    schema: SCHEMA_VERSION,
  };
}

/** What the engine does with a pulled page: apply it and move the outbox mark, one transaction. */
async function applyAsEngine(r: Replica, messages: PulledMessage[]): Promise<void> {
  const before = newestChange(r.store.sqlite);
  const state = readState(r.store.sqlite);
  await r.deliver(messages);
  await inTransaction(r.store, () => skipAppliedChanges(r.store.sqlite, state, before));
}

describe('bulk writes', () => {
  it('switch the connection to a large cache without automatic checkpoints, and back', async () => {
    const r = await replica();
    const sqlite = r.store.sqlite;
    const cache = sqlite.pragma('cache_size', { simple: true });
    const autocheckpoint = sqlite.pragma('wal_autocheckpoint', { simple: true });
    const bulk = new BulkWrites(sqlite, 20);
    expect(sqlite.pragma('cache_size', { simple: true })).toBe(-131072);
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    bulk.restore();
    expect(sqlite.pragma('cache_size', { simple: true })).toBe(cache);
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(autocheckpoint);
  });

  it('fold the WAL into the file when a checkpoint is due, and only then', async () => {
    const r = await replica();
    const sqlite = r.store.sqlite;
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const bulk = new BulkWrites(sqlite, 20);
    // The main file's bytes: they change only when pages are copied into it from the WAL.
    const fileBytes = () =>
      crypto.createHash('sha256').update(fs.readFileSync(r.file)).digest('hex');
    let bytes = fileBytes();
    let due = 0;
    // A checkpoint becomes due after a bounded number of slices, whatever was learnt so far.
    for (let slice = 0; slice < 1000 && due < 3; slice++) {
      await addPatient(r, `Slice${slice}`);
      // Commits go to the WAL alone: SQLite no longer copies them into the file by itself.
      expect(fileBytes()).toBe(bytes);
      if (bulk.sliceApplied()) {
        due += 1;
        bulk.checkpoint();
        expect(fileBytes()).not.toBe(bytes);
        bytes = fileBytes();
      }
    }
    expect(due).toBe(3);
    bulk.restore();
  });
});

describe('the outbox mark after changes from elsewhere', () => {
  it('moves past them when everything before was looked at, so they are not read again', async () => {
    const [a, b] = [await replica(), await replica()];
    await addPatient(a, 'Remote');
    const ctx = await outboxOf(b);
    await inTransaction(b.store, () => prepareOutbox(ctx, new Date().toISOString()));
    await applyAsEngine(b, asLog(await a.send()));
    const state = readState(b.store.sqlite);
    expect(state.prepared_through).toBe(newestChange(b.store.sqlite));
    // Its own later changes are still found and numbered.
    const id = await addPatient(b, 'Local');
    expect(await inTransaction(b.store, () => prepareOutbox(ctx, new Date().toISOString()))).toBe(
      1,
    );
    const sent = nextBatch(ctx, 0, '');
    expect(sent.messages.map((m) => m.header.rowId)).toEqual([id]);
  });

  it('stays before a change made here that was not numbered yet', async () => {
    const [a, b] = [await replica(), await replica()];
    await addPatient(a, 'Remote');
    const ctx = await outboxOf(b);
    await inTransaction(b.store, () => prepareOutbox(ctx, new Date().toISOString()));
    const mark = readState(b.store.sqlite).prepared_through;
    // Made here between two pages of a bootstrap: not numbered before the next page arrives.
    const local = await addPatient(b, 'Local');
    await applyAsEngine(b, asLog(await a.send()));
    expect(readState(b.store.sqlite).prepared_through).toBe(mark);
    await inTransaction(b.store, () => prepareOutbox(ctx, new Date().toISOString()));
    expect(nextBatch(ctx, 0, '').messages.map((m) => m.header.rowId)).toEqual([local]);
  });
});

describe('numbering the outbox', () => {
  it('keeps back a change whose identifier the relay would refuse, wherever it is in a batch', async () => {
    const r = await replica();
    const first = await addPatient(r, 'First');
    const last = await addPatient(r, 'Last');
    // A row id outside the protocol's alphabet, between two good ones (written by other means).
    const bad = r.store.sqlite
      .prepare('SELECT * FROM change_log WHERE row_id = ?')
      .get(last) as Record<string, unknown>;
    r.store.sqlite
      .prepare(
        `INSERT INTO change_log (hlc, author_id, device_id, table_name, row_id, subject_id,
           operation, columns, payload, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.store.clock.now(),
        bad.author_id,
        bad.device_id,
        'patient',
        'not an id',
        'not an id',
        'update',
        '["notes"]',
        '{"notes":"x"}',
        bad.recorded_at,
      );
    await addPatient(r, 'After');
    const ctx = await outboxOf(r);
    await inTransaction(r.store, () => prepareOutbox(ctx, new Date().toISOString()));
    const rows = r.store.sqlite
      .prepare(
        `SELECT c.row_id, o.state, o.code FROM sync_outbox o JOIN change_log c
         ON c.seq = o.change_seq ORDER BY o.device_seq`,
      )
      .all() as Array<{ row_id: string; state: string; code: string | null }>;
    expect(rows.find((x) => x.row_id === 'not an id')).toMatchObject({
      state: 'rejected',
      code: 'NOT_SENDABLE',
    });
    expect(rows.filter((x) => x.state === 'pending').map((x) => x.row_id)).toContain(first);
    expect(rows.filter((x) => x.state === 'pending')).toHaveLength(rows.length - 1);
  });

  it('signs a batch over the sealed bytes it already holds, as the relay checks it', async () => {
    const r = await replica();
    for (const name of ['Ada', 'Bo', 'Cy']) await addPatient(r, name);
    const ctx = await outboxOf(r);
    await inTransaction(r.store, () => prepareOutbox(ctx, new Date().toISOString()));
    const batch = nextBatch(ctx, 0, '');
    const { crypto, sodium } = await loadSyncCrypto();
    const keys = sodium.crypto_sign_keypair();
    const fast = signBatch(crypto, 'd-1', batch.messages, keys.privateKey, batch.payloads);
    const slow = signBatch(crypto, 'd-1', batch.messages, keys.privateKey);
    expect(fast.signature).toBe(slow.signature);
    const verifier = {
      verifyDetached: (signature: Uint8Array, message: Uint8Array, key: Uint8Array) =>
        sodium.crypto_sign_verify_detached(signature, message, key),
    };
    const decoded = batch.messages.map((m, i) => ({
      header: m.header,
      payload: batch.payloads[i]!,
    }));
    expect(verifyBatchSignature(verifier, 'd-1', decoded, fast.signature, keys.publicKey)).toBe(
      true,
    );
  });
});

describe('a pulled page', () => {
  async function pageOf(r: Replica, count: number): Promise<PulledMessage[]> {
    await r.store.db.transaction().execute(async (tx) => {
      for (let i = 0; i < count; i++)
        await insertRecord(tx, r.writer, 'chair', { name: `Chair ${i}`, position: i, active: 1 });
    });
    return asLog(await r.send());
  }

  function transportAnswering(body: unknown): RelayTransport {
    return new RelayTransport({
      baseUrl: 'http://127.0.0.1:9',
      now: Date.now,
      fetch: async () => new Response(JSON.stringify(body), { status: 200 }),
    });
  }

  it('is checked message by message across turns of the event loop, and kept whole', async () => {
    const messages = await pageOf(await replica(), 450);
    const page = { messages, nextCursor: '450', checksum: 'a'.repeat(64), more: false };
    const pulled = await transportAnswering(page).pull('t', REPLICA_BUCKET, '0');
    expect(pulled.messages).toEqual(messages);
  });

  it('is refused whole when any message in it is not valid, even far into it', async () => {
    const messages = await pageOf(await replica(), 450);
    messages[401] = {
      ...messages[401]!,
      header: { ...messages[401]!.header, table: 'Not A Table' },
    };
    const page = { messages, nextCursor: '450', checksum: 'a'.repeat(64), more: false };
    await expect(transportAnswering(page).pull('t', REPLICA_BUCKET, '0')).rejects.toBeInstanceOf(
      RelayUnreachable,
    );
  });
});
