import { v7 as uuidv7 } from 'uuid';
import { CHECKPOINT_EVERY } from '../audit/append';
import { canonicalEvent, GENESIS_HASH, type AuditEventFields } from '../audit/chain';
import type { Sodium } from '../crypto/sodium';
import type { SqliteDatabase } from '../db/store';

export interface SyncAuditEntry {
  action: string;
  /** The member of staff who made the changes (on another workstation), when known. */
  actorId?: string | null;
  subjectId: string | null;
  targetTable?: string | null;
  targetId?: string | null;
  fields: readonly string[];
}

/**
 * Appends events to the audit chain from inside a synchronous transaction on the raw handle,
 * chained exactly as audit/append.ts does. Changes from other workstations are recorded per
 * patient, author and transaction (which fields changed and by whom, never values): the
 * author's own workstation audits each write; this one records that the data arrived.
 */
export function appendSyncAudit(
  sqlite: SqliteDatabase,
  sodium: Sodium,
  base: { deviceId: string; hlc: string; at: string },
  entries: readonly SyncAuditEntry[],
): void {
  if (entries.length === 0) return;
  const last = sqlite
    .prepare('SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1')
    .get() as { seq: number; hash: string } | undefined;
  const insert = sqlite.prepare(
    `INSERT INTO audit_event (seq, id, at, hlc, device_id, actor_id, action, subject_id,
       target_table, target_id, fields, reason, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const checkpoint = sqlite.prepare(
    'INSERT INTO audit_checkpoint (seq, hash, at) VALUES (?, ?, ?)',
  );
  let seq = last?.seq ?? 0;
  let prev = last?.hash ?? GENESIS_HASH;
  for (const entry of entries) {
    const event: AuditEventFields = {
      id: uuidv7(),
      at: base.at,
      hlc: base.hlc,
      device_id: base.deviceId,
      actor_id: entry.actorId ?? null,
      action: entry.action,
      subject_id: entry.subjectId,
      target_table: entry.targetTable ?? null,
      target_id: entry.targetId ?? null,
      fields: entry.fields.length > 0 ? JSON.stringify(entry.fields) : null,
      reason: null,
    };
    const hash = sodium.crypto_generichash(32, `${prev}\n${canonicalEvent(event)}`, null, 'hex');
    seq += 1;
    insert.run(
      seq,
      event.id,
      event.at,
      event.hlc,
      event.device_id,
      event.actor_id,
      event.action,
      event.subject_id,
      event.target_table,
      event.target_id,
      event.fields,
      event.reason,
      prev,
      hash,
    );
    if (seq % CHECKPOINT_EVERY === 0) checkpoint.run(seq, hash, event.at);
    prev = hash;
  }
}
