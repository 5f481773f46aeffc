import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayDialect } from '../../../server/db/dialect';
import { migrateRelay, RELAY_MIGRATIONS } from '../../../server/db/migrations';
import type { RelayDatabase } from '../../../server/db/schema';
import { connectRelayDb, isUniqueViolation, type RelayDb } from '../../../server/db/store';
import { DIALECTS, postgresUrl, tempDir, withPostgres } from './support';

describe.each(DIALECTS)('relay migrations on %s', (dialect: RelayDialect) => {
  let db: RelayDb | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  /** Postgres introspection lists every schema: only ours counts. */
  let schema: string | undefined;
  afterEach(async () => {
    await db?.destroy();
    db = undefined;
    await cleanup?.();
    cleanup = undefined;
    schema = undefined;
  });

  async function emptyStore(): Promise<RelayDb> {
    if (dialect === 'sqlite') {
      const dir = tempDir();
      cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
      return connectRelayDb({ kind: 'sqlite', file: path.join(dir, 'relay.sqlite') });
    }
    const url = postgresUrl();
    const name = `relay_mig_${crypto.randomBytes(6).toString('hex')}`;
    schema = name;
    await withPostgres(url, (c) => c.query(`CREATE SCHEMA ${name}`));
    cleanup = () =>
      withPostgres(url, (c) => c.query(`DROP SCHEMA ${name} CASCADE`)).then(() => undefined);
    return connectRelayDb({ kind: 'postgres', url, schema: name, poolSize: 2 });
  }

  async function seed(d: Kysely<RelayDatabase>) {
    await d.insertInto('organisation').values({ id: 'org-1', created_at: 1 }).execute();
    await d
      .insertInto('clinic')
      .values({ id: 'c-1', organisation_id: 'org-1', created_at: 1 })
      .execute();
    await d
      .insertInto('bucket')
      .values({ id: 'clinic.c-1', organisation_id: 'org-1', clinic_id: 'c-1', created_at: 1 })
      .execute();
    await d
      .insertInto('device')
      .values({
        id: 'd-1',
        clinic_id: 'c-1',
        name: 'Desk',
        signing_key: 'k',
        box_key: 'k',
        status: 'active',
        created_at: 1,
        last_seen: null,
        revoked_at: null,
      })
      .execute();
  }

  const message = (serverSeq: number, deviceSeq: number, op = 'upsert') => ({
    bucket_id: 'clinic.c-1',
    server_seq: serverSeq,
    v: 1,
    device_id: 'd-1',
    device_seq: deviceSeq,
    hlc: '000000000001-0000-d-1',
    table_name: 'patient',
    row_id: 'r',
    subject: null,
    op: op as 'upsert',
    schema_version: 1,
    key_id: 'k',
    payload: new Uint8Array([1, 2, 3]),
    digest: 'd',
    received_at: 1,
  });

  it('0001 creates the log with its keys and checks', async () => {
    db = await emptyStore();
    await migrateRelay(db as Kysely<unknown>, dialect, '0001-relay');
    const tables = (await db.introspection.getTables())
      .filter((t) => schema === undefined || t.schema === schema)
      .map((t) => t.name)
      .sort();
    expect(tables).toEqual([
      'auth_challenge',
      'bucket',
      'clinic',
      'device',
      'enrolment_request',
      'message',
      'organisation',
      'receipt',
    ]);
    await seed(db);
    await db.insertInto('message').values(message(1, 1)).execute();
    const stored = await db.selectFrom('message').selectAll().executeTakeFirstOrThrow();
    expect(stored.server_seq).toBe(1);
    expect(Buffer.from(stored.payload)).toEqual(Buffer.from([1, 2, 3]));
    const counter = await db.selectFrom('bucket').select('counter').executeTakeFirstOrThrow();
    expect(counter.counter).toBe(0);

    const failures = await Promise.all([
      db
        .insertInto('message')
        .values(message(2, 1))
        .execute()
        .catch((e: unknown) => e),
      db
        .insertInto('message')
        .values(message(1, 2))
        .execute()
        .catch((e: unknown) => e),
    ]);
    for (const failure of failures) expect(isUniqueViolation(failure)).toBe(true);
    await expect(
      db
        .insertInto('message')
        .values(message(3, 3, 'erase'))
        .execute(),
    ).rejects.toThrow();
    await expect(
      db
        .updateTable('device')
        .set({ status: 'lost' as 'active' })
        .where('id', '=', 'd-1')
        .execute(),
    ).rejects.toThrow();
    // A message of a device the relay does not know is refused by the foreign key.
    await expect(
      db
        .insertInto('message')
        .values({ ...message(4, 4), device_id: 'stranger' })
        .execute(),
    ).rejects.toThrow();
  });

  it('migrating again changes nothing, and an unknown target is refused', async () => {
    db = await emptyStore();
    await migrateRelay(db as Kysely<unknown>, dialect);
    await seed(db);
    await migrateRelay(db as Kysely<unknown>, dialect);
    expect((await db.selectFrom('device').selectAll().execute()).length).toBe(1);
    await expect(migrateRelay(db as Kysely<unknown>, dialect, '9999-none')).rejects.toThrow(
      /Unknown relay migration/,
    );
    expect(Object.keys(RELAY_MIGRATIONS)).toEqual(['0001-relay']);
  });
});

describe('relay migrations on postgres, beside another store', () => {
  it('keep their bookkeeping in their own schema', async () => {
    // Two stores in two schemas of one database, the second migrated while the first exists.
    const url = postgresUrl();
    const names = [1, 2].map(() => `relay_mig_${crypto.randomBytes(6).toString('hex')}`);
    const stores: RelayDb[] = [];
    try {
      for (const name of names) {
        await withPostgres(url, (c) => c.query(`CREATE SCHEMA ${name}`));
        const store = connectRelayDb({ kind: 'postgres', url, schema: name, poolSize: 2 });
        stores.push(store);
        await migrateRelay(store as Kysely<unknown>, 'postgres');
      }
      const tables = await withPostgres(url, (c) =>
        c.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
          [names[1]],
        ),
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['kysely_migration', 'kysely_migration_lock', 'message']),
      );
    } finally {
      for (const store of stores) await store.destroy();
      for (const name of names)
        await withPostgres(url, (c) => c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`));
    }
  });
});
