import type { Generated, Insertable, Selectable } from 'kysely';

/** Append-only, hash-chained audit trail (see audit/chain.ts). Ids and field names only. */
export interface AuditEventTable {
  seq: Generated<number>;
  id: string;
  at: string;
  hlc: string;
  device_id: string;
  actor_id: string | null;
  action: string;
  subject_id: string | null;
  target_table: string | null;
  target_id: string | null;
  fields: string | null;
  reason: string | null;
  prev_hash: string;
  hash: string;
}
export type AuditEventRow = Selectable<AuditEventTable>;
export type NewAuditEvent = Insertable<AuditEventTable>;

/** The chain's hash every 1,000 events; also copied outside the store (audit-anchor.json). */
export interface AuditCheckpointTable {
  seq: number;
  hash: string;
  at: string;
}
export type AuditCheckpointRow = Selectable<AuditCheckpointTable>;
