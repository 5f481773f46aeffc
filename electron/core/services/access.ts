import { v7 as uuidv7 } from 'uuid';
import type {
  FieldChange,
  Patient,
  PatientData,
  PatientPatch,
} from '../../../shared/domain/patient';
import { AppError } from '../../../shared/errors';
import type { BreakGlassGrant } from '../../../shared/ipc/audit';
import type { ClinicalView, PatientRecord } from '../../../shared/ipc/patients';
import { CLINICAL_HISTORY_FIELDS, seesClinicalDetails } from '../../../shared/permissions';
import type { Role } from '../../../shared/roles';
import { appendAudit } from '../audit/append';
import type { Executor } from '../db/kysely';
import type { BreakGlassGrantRow } from '../db/tables/break-glass-grant';
import type { ServiceContext } from './context';
import * as patients from './patients';

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

/** When `staffId`'s latest unexpired grant for `patientId` ends (ISO), or null without one. */
async function activeGrantEnd(
  db: Executor,
  staffId: string,
  patientId: string,
  now: Date,
): Promise<string | null> {
  const row = await db
    .selectFrom('break_glass_grant')
    .select('expires_at')
    .where('staff_id', '=', staffId)
    .where('patient_id', '=', patientId)
    .where('expires_at', '>', now.toISOString())
    .orderBy('expires_at', 'desc')
    .executeTakeFirst();
  return row?.expires_at ?? null;
}

/** Whether `staffId` holds an unexpired grant for `patientId`. */
export async function hasActiveGrant(
  db: Executor,
  staffId: string,
  patientId: string,
  now: Date,
): Promise<boolean> {
  return (await activeGrantEnd(db, staffId, patientId, now)) !== null;
}

/** The signed-in member of staff, as the core's session knows them (never from arguments). */
export interface Viewer {
  userId: string;
  role: Role;
}

/**
 * How much of `patientId`'s clinical details `viewer` sees now: all of it for clinical roles,
 * all of it under an unexpired emergency-access grant of theirs, the badges only otherwise.
 * The clock is the writer's, so grants expire on the same time as everything else.
 */
export async function clinicalViewOf(
  ctx: ServiceContext,
  viewer: Viewer,
  patientId: string,
): Promise<ClinicalView> {
  if (seesClinicalDetails(viewer.role)) return { access: 'shown', until: null };
  const until = await activeGrantEnd(ctx.db, viewer.userId, patientId, ctx.writer.now());
  return until ? { access: 'emergency', until } : { access: 'restricted', until: null };
}

/** The record without its clinical details: alert badges (kind, severity) stay. */
export function withholdClinical(p: Patient): Patient {
  return {
    ...p,
    alerts: p.alerts.map((a) => ({ ...a, description: '' })),
    notes: null,
  };
}

async function asSeenBy(
  ctx: ServiceContext,
  viewer: Viewer,
  patient: Patient,
): Promise<PatientRecord> {
  const clinical = await clinicalViewOf(ctx, viewer, patient.id);
  const shown = clinical.access === 'restricted' ? withholdClinical(patient) : patient;
  return { ...shown, clinical };
}

const clinicalStaffOnly = () =>
  new AppError(
    'NOT_ALLOWED',
    'Medical alerts and clinical notes are recorded by clinical staff. Nothing was saved.',
  );

/** `patients.get`: the record, its clinical details as `viewer` may see them. */
export async function openPatient(
  ctx: ServiceContext,
  viewer: Viewer,
  id: string,
): Promise<PatientRecord> {
  return asSeenBy(ctx, viewer, await patients.getPatient(ctx, id));
}

/**
 * `patients.create`: roles outside CLINICAL_ROLES register patients without clinical details
 * (a clinician adds them); the whole registration is refused otherwise, so nothing half-saves.
 */
export async function createPatient(
  ctx: ServiceContext,
  viewer: Viewer,
  data: PatientData,
  duplicatesReviewed: boolean,
): Promise<PatientRecord> {
  if (!seesClinicalDetails(viewer.role) && (data.alerts.length > 0 || data.notes))
    throw clinicalStaffOnly();
  return asSeenBy(ctx, viewer, await patients.createPatient(ctx, data, duplicatesReviewed));
}

/**
 * `patients.update`: roles outside CLINICAL_ROLES change everything but the clinical details,
 * even under emergency access (a grant is for reading in an emergency, never for writing).
 */
export async function updatePatient(
  ctx: ServiceContext,
  viewer: Viewer,
  id: string,
  patch: PatientPatch,
): Promise<PatientRecord> {
  if (
    !seesClinicalDetails(viewer.role) &&
    (patch.alerts !== undefined || patch.notes !== undefined)
  )
    throw clinicalStaffOnly();
  return asSeenBy(ctx, viewer, await patients.updatePatient(ctx, id, patch));
}

export async function archivePatient(
  ctx: ServiceContext,
  viewer: Viewer,
  id: string,
): Promise<PatientRecord> {
  return asSeenBy(ctx, viewer, await patients.archivePatient(ctx, id));
}

/** `patients.history`: clinical fields are left out unless `viewer` sees clinical details. */
export async function patientHistory(
  ctx: ServiceContext,
  viewer: Viewer,
  id: string,
): Promise<FieldChange[]> {
  const changes = await patients.patientHistory(ctx, id);
  const clinical = await clinicalViewOf(ctx, viewer, id);
  return clinical.access === 'restricted'
    ? changes.filter((c) => !CLINICAL_HISTORY_FIELDS.has(c.field))
    : changes;
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
