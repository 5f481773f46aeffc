import type { Generated, Insertable, Selectable } from 'kysely';

/**
 * One append-only log: a clinic's (`clinic_id` set) or its organisation's (`clinic_id` null).
 * `counter` is the last `server_seq` handed out; it moves only inside an accepting transaction.
 */
export interface BucketTable {
  id: string;
  organisation_id: string;
  clinic_id: string | null;
  counter: Generated<number>;
  created_at: number;
}
export type BucketRow = Selectable<BucketTable>;
export type NewBucket = Insertable<BucketTable>;
