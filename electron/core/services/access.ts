import { v7 as uuidv7 } from 'uuid';
import { AppError } from '../../../shared/errors';
import type { BreakGlassGrant } from '../../../shared/ipc/audit';
import { appendAudit } from '../audit/append';
import type { Executor } from '../db/kysely';
import type { BreakGlassGrantRow } from '../db/tables/break-glass-grant';
import type { ServiceContext } from './context';

/** How long an emergency-access grant lasts. */
export const BREAK_GLASS_MINUTES = 60;

function toGrant(r: BreakGlassGrantRow & { display_name?: string | null }): BreakGlassGrant {
  return {
    id: r.id,
    staffId: r.staff_id,
    staffName: r.display_name ?? null,
    patientId: r.patient_id,
    reason: r.reason,
    grantedAt: r.granted_at,
    expiresAt: r.expires_at,
    reviewedBy: r.reviewed_by,
    reviewedAt: r.reviewed_at,
  };
}

/**
 * Emergency access ("break glass"): opens one patient's record beyond the caller's role for
 * BREAK_GLASS_MINUTES, with a mandatory reason. The grant and its use are audited and wait in the
 * practice manager's review list. Grants are local to this workstation and never widen writes.
 */
export async function breakGlass(
  ctx: ServiceContext,
  patientId: string,
  reason: string,
): Promise<BreakGlassGrant> {
  const now = ctx.writer.now();
  const grant = await ctx.db.transaction().execute(async (tx) => {
    const patient = await tx
      .selectFrom('patient')
      .select('id')
      .where('id', '=', patientId)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (!patient) throw new AppError('NOT_FOUND', 'The patient was not found.');
    const row = {
      id: uuidv7(),
      staff_id: ctx.writer.actorId ?? '',
      patient_id: patientId,
      reason,
      granted_at: now.toISOString(),
      expires_at: new Date(now.getTime() + BREAK_GLASS_MINUTES * 60_000).toISOString(),
      reviewed_by: null,
      reviewed_at: null,
    };
    await tx.insertInto('break_glass_grant').values(row).execute();
    await appendAudit(tx, ctx.writer, {
      action: 'patient.break_glass',
      subjectId: patientId,
      targetTable: 'break_glass_grant',
      targetId: row.id,
      reason,
    });
    return row;
  });
  return toGrant(grant);
}

/** Whether `staffId` holds an unexpired grant for `patientId`. */
export async function hasActiveGrant(
  db: Executor,
  staffId: string,
  patientId: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .selectFrom('break_glass_grant')
    .select('id')
    .where('staff_id', '=', staffId)
    .where('patient_id', '=', patientId)
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
  return row !== undefined;
}

export async function listGrants(
  ctx: ServiceContext,
  unreviewedOnly: boolean,
): Promise<BreakGlassGrant[]> {
  let q = ctx.db
    .selectFrom('break_glass_grant')
    .leftJoin('staff', 'staff.id', 'break_glass_grant.staff_id')
    .selectAll('break_glass_grant')
    .select('staff.display_name');
  if (unreviewedOnly) q = q.where('break_glass_grant.reviewed_at', 'is', null);
  return (await q.orderBy('break_glass_grant.granted_at', 'desc').limit(500).execute()).map(
    toGrant,
  );
}

export async function reviewGrant(ctx: ServiceContext, id: string): Promise<BreakGlassGrant> {
  const at = ctx.writer.now().toISOString();
  await ctx.db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('break_glass_grant')
      .select(['id', 'reviewed_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'That emergency access was not found.');
    if (row.reviewed_at)
      throw new AppError('CONFLICT', 'That emergency access has already been reviewed.');
    await tx
      .updateTable('break_glass_grant')
      .set({ reviewed_by: ctx.writer.actorId, reviewed_at: at })
      .where('id', '=', id)
      .execute();
    await appendAudit(tx, ctx.writer, {
      action: 'access.break_glass_reviewed',
      targetTable: 'break_glass_grant',
      targetId: id,
    });
  });
  const rows = await listGrants(ctx, false);
  const grant = rows.find((g) => g.id === id);
  if (!grant) throw new AppError('NOT_FOUND', 'That emergency access was not found.');
  return grant;
}
