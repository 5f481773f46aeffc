import type { Generated, Insertable, Selectable } from 'kysely';

/**
 * The one record of every write: who, when (HLC), which row, which columns, their new values.
 * Field history reads it; the audit trail and the sync outbox are built from it.
 * `seq` is this device's local order of changes, not a row id that leaves the device.
 */
export interface ChangeLogTable {
  seq: Generated<number>;
  hlc: string;
  author_id: string | null;
  device_id: string;
  table_name: string;
  row_id: string;
  /** Patient id the change belongs to, or null for clinic-wide rows. */
  subject_id: string | null;
  operation: 'insert' | 'update' | 'delete';
  /** JSON array of column names. */
  columns: string;
  /** JSON object of the new values of those columns. */
  payload: string;
  recorded_at: string;
}
export type ChangeLogRow = Selectable<ChangeLogTable>;
export type NewChangeLog = Insertable<ChangeLogTable>;
