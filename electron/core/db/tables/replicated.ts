/** Columns every replicated row carries. */
export interface ReplicatedColumns {
  /** UUIDv7: rows made on different workstations never collide. */
  id: string;
  /** HLC of the last change to this row. */
  hlc: string;
  created_at: string;
  updated_at: string;
  /** Tombstone: deleted rows stay so that a late edit elsewhere cannot resurrect them silently. */
  deleted: number;
}
