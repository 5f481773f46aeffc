import type { Clinic } from '../../../shared/domain/clinic';
import type { AppEvents, EventName } from '../../../shared/ipc/contract';
import type { Writer } from '../db/changes';
import type { Db } from '../db/kysely';

/** What a service needs for one call: the open store, the writer (session identity) and the clinic. */
export interface ServiceContext {
  db: Db;
  writer: Writer;
  clinic: Clinic;
  emit: <E extends EventName>(event: E, payload: AppEvents[E]) => void;
}
