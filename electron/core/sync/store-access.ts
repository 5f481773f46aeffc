import type { Clinic } from '../../../shared/domain/clinic';
import type { OpenStore } from '../store-session';

/**
 * Sync writes through the raw better-sqlite3 handle (prepared statements; a bootstrap applies
 * hundreds of thousands of changes). Kysely runs every query of the app on that same connection
 * behind its own lock, so raw work here first takes that lock: otherwise a statement could land
 * inside a transaction another command has open.
 */
export function withConnection<T>(store: OpenStore, fn: () => T): Promise<T> {
  return store.db.connection().execute(async () => fn());
}

/**
 * One IMMEDIATE transaction on the raw handle. With `foreignKeysOff`, references are not
 * enforced inside it: changes from other workstations arrive in the relay's order, and a
 * correction that was refused and re-sent can come after changes that point at its row. Rows are
 * never removed (tombstones), so references resolve once every change has arrived.
 */
export function inTransaction<T>(
  store: OpenStore,
  fn: () => T,
  options: { foreignKeysOff?: boolean } = {},
): Promise<T> {
  return withConnection(store, () => {
    const { sqlite } = store;
    if (options.foreignKeysOff) sqlite.pragma('foreign_keys = OFF');
    try {
      return sqlite.transaction(fn).immediate();
    } finally {
      if (options.foreignKeysOff) sqlite.pragma('foreign_keys = ON');
    }
  });
}

/** The clinic the store belongs to, as OpenStore reads it at open. */
export function readClinic(store: OpenStore): Clinic | null {
  const row = store.sqlite
    .prepare(
      'SELECT id, name, time_zone, country, locale, age_of_consent FROM clinic WHERE deleted = 0 ORDER BY hlc LIMIT 1',
    )
    .get() as
    | {
        id: string;
        name: string;
        time_zone: string;
        country: string;
        locale: string;
        age_of_consent: number;
      }
    | undefined;
  return row
    ? {
        id: row.id,
        name: row.name,
        timeZone: row.time_zone,
        country: row.country,
        locale: row.locale,
        ageOfConsent: row.age_of_consent,
      }
    : null;
}
