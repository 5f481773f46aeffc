import type { Clinic } from '../../../shared/domain/clinic';
import type { AppEvents, EventName } from '../../../shared/ipc/contract';
import type { Writer } from '../db/changes';
import type { Db } from '../db/kysely';
import type { SqliteDatabase } from '../db/store';

/** What a service needs for one call: the open store, the writer (session identity) and the clinic. */
export interface ServiceContext {
  db: Db;
  /**
   * The raw handle behind `db`, when the caller has it (Core does): hot reads run cached prepared
   * statements on it, under Kysely's connection lock (see services/patients.ts).
   */
  sqlite?: SqliteDatabase;
  writer: Writer;
  clinic: Clinic;
  emit: <E extends EventName>(event: E, payload: AppEvents[E]) => void;
}
