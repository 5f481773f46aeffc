import { v7 as uuidv7 } from 'uuid';
import type { Writer } from '../db/changes';
import type { Executor } from '../db/kysely';
import { chainHash, GENESIS_HASH, type AuditEventFields } from './chain';

/** A checkpoint of the chain every this many events. */
export const CHECKPOINT_EVERY = 1000;

export interface AuditEntry {
  action: string;
  subjectId?: string | null;
  targetTable?: string | null;
  targetId?: string | null;
  /** Names of the fields touched, never their values. */
  fields?: readonly string[] | null;
  reason?: string | null;
}

/**
 * Appends one event to the chain inside the caller's transaction, so the event commits or rolls
 * back with the action it records.
 */
export async function appendAudit(tx: Executor, w: Writer, entry: AuditEntry): Promise<void> {
  const last = await tx
    .selectFrom('audit_event')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const event: AuditEventFields = {
    id: uuidv7(),
    at: w.now().toISOString(),
    hlc: w.clock.lastIssued,
    device_id: w.deviceId,
    actor_id: w.actorId,
    action: entry.action,
    subject_id: entry.subjectId ?? null,
    target_table: entry.targetTable ?? null,
    target_id: entry.targetId ?? null,
    fields: entry.fields && entry.fields.length > 0 ? JSON.stringify(entry.fields) : null,
    reason: entry.reason ?? null,
  };
  const prev = last?.hash ?? GENESIS_HASH;
  const hash = await chainHash(prev, event);
  const seq = (last?.seq ?? 0) + 1;
  await tx
    .insertInto('audit_event')
    .values({ ...event, seq, prev_hash: prev, hash })
    .execute();
  if (seq % CHECKPOINT_EVERY === 0)
    await tx.insertInto('audit_checkpoint').values({ seq, hash, at: event.at }).execute();
}
