import fs from 'node:fs';
import { v7 as uuidv7 } from 'uuid';
import { HybridLogicalClock } from '../../shared/hlc';
import { AppError } from '../../shared/errors';
import type { Clinic, Session } from '../../shared/domain/clinic';
import type { Role } from '../../shared/roles';
import { wipe } from './crypto/sodium';
import { storeKeyCheck, type KeyringFile } from './crypto/keyring';
import { createKysely, type Db } from './db/kysely';
import { migrate } from './db/migrations';
import { openStore, type SqliteDatabase } from './db/store';
import type { Writer } from './db/changes';

/**
 * An open, keyed store and what was read from it at open: the device id, the clock and the clinic.
 * Closing it closes the database and wipes the key.
 */
export class OpenStore {
  private closed = false;
  private constructor(
    readonly sqlite: SqliteDatabase,
    readonly db: Db,
    private readonly key: Uint8Array,
    readonly deviceId: string,
    readonly clock: HybridLogicalClock,
    public clinic: Clinic | null,
  ) {}

  static async open(
    file: string,
    key: Uint8Array,
    keyring: KeyringFile | null,
    now: () => number,
  ): Promise<OpenStore> {
    const verified = keyring
      ? (await storeKeyCheck(key, keyring.storeId)) === keyring.storeKeyCheck
      : false;
    if (keyring && !verified)
      throw new AppError('STORE_WRONG_KEY', 'The key does not belong to this data file.');
    const sqlite = openStore(file, key, { keyVerified: verified });
    return OpenStore.fromSqlite(sqlite, key, now);
  }

  static async fromSqlite(
    sqlite: SqliteDatabase,
    key: Uint8Array,
    now: () => number,
  ): Promise<OpenStore> {
    const db = createKysely(sqlite);
    try {
      await migrate(db as never);
      let device = await db
        .selectFrom('meta')
        .select('value')
        .where('key', '=', 'device_id')
        .executeTakeFirst();
      if (!device) {
        await db.insertInto('meta').values({ key: 'device_id', value: uuidv7() }).execute();
        device = await db
          .selectFrom('meta')
          .select('value')
          .where('key', '=', 'device_id')
          .executeTakeFirstOrThrow();
      }
      let hlc = await db
        .selectFrom('hlc_state')
        .select('last')
        .where('id', '=', 1)
        .executeTakeFirst();
      if (!hlc) {
        await db.insertInto('hlc_state').values({ id: 1, last: '000000000000-0000-0' }).execute();
        hlc = { last: '000000000000-0000-0' };
      }
      const node = device.value.replace(/-/g, '').slice(-16);
      // Resume after the last persisted timestamp, even if the wall clock has since gone back.
      const clock = new HybridLogicalClock(node, now, hlc.last);
      const clinicRow = await db
        .selectFrom('clinic')
        .selectAll()
        .where('deleted', '=', 0)
        .executeTakeFirst();
      const clinic = clinicRow
        ? {
            id: clinicRow.id,
            name: clinicRow.name,
            timeZone: clinicRow.time_zone,
            country: clinicRow.country,
            locale: clinicRow.locale,
            ageOfConsent: clinicRow.age_of_consent,
          }
        : null;
      return new OpenStore(sqlite, db, new Uint8Array(key), device.value, clock, clinic);
    } catch (e) {
      await db.destroy();
      throw e;
    }
  }

  writer(actorId: string | null, now: () => Date): Writer {
    return { actorId, deviceId: this.deviceId, clock: this.clock, now };
  }

  /** A copy of the key for re-sealing (setup, staff changes); the caller wipes it. */
  keyCopy(): Uint8Array {
    return new Uint8Array(this.key);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.db.destroy();
    } finally {
      wipe(this.key);
    }
  }
}

export async function loadStaffSession(
  store: OpenStore,
  userId: string,
  now: Date,
): Promise<Session> {
  const staff = await store.db
    .selectFrom('staff')
    .selectAll()
    .where('id', '=', userId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!staff || staff.status !== 'active')
    throw new AppError('WRONG_CREDENTIALS', 'The username or password is not right.');
  return {
    userId: staff.id,
    username: staff.username,
    displayName: staff.display_name,
    role: staff.role as Role,
    startedAt: now.toISOString(),
  };
}

/**
 * Setup found a data file but no keyring. The file cannot be opened without its keyring, but the
 * keyring may still exist in a backup: keep the file aside rather than delete it.
 */
export function setAsideOrphanStore(file: string, now: number): string | null {
  if (!fs.existsSync(file)) return null;
  const aside = `${file}.orphaned-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, aside + suffix);
  }
  return aside;
}

export function removeOrphanStore(file: string): void {
  // A store without a keyring can never be opened again (its key was never saved): clear it.
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
}
