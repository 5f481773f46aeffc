import { AppError } from '../../../shared/errors';
import type { Role } from '../../../shared/roles';
import type { StaffMember, StaffPatch, StaffStatus } from '../../../shared/ipc/staff';
import { insertRecord, updateRecord } from '../db/changes';
import type { Executor } from '../db/kysely';
import type { StaffRow } from '../db/tables/staff';
import { notFound } from '../errors';
import type { ServiceContext } from './context';

/**
 * Staff rows. Every write goes through the change log (insertRecord/updateRecord) in one
 * transaction. Keys live in the keyring, not here: the caller (the core) pairs each row change
 * with the keyring change it needs. Rows are never deleted: a removed member of staff keeps their
 * row (status `removed`) so the history of what they did still names them.
 */
export function toStaffMember(row: StaffRow, canSignIn: boolean): StaffMember {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role as Role,
    providerId: row.provider_id ?? null,
    status: row.status as StaffStatus,
    canSignIn: canSignIn && row.status === 'active',
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function listStaffRows(db: Executor): Promise<StaffRow[]> {
  return db
    .selectFrom('staff')
    .selectAll()
    .where('deleted', '=', 0)
    .orderBy('display_name')
    .orderBy('id')
    .execute();
}

export async function getStaffRow(db: Executor, id: string): Promise<StaffRow> {
  const row = await db
    .selectFrom('staff')
    .selectAll()
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!row) throw notFound('The staff account');
  return row;
}

export async function findStaffByUsername(
  db: Executor,
  username: string,
): Promise<StaffRow | undefined> {
  return db.selectFrom('staff').selectAll().where('username', '=', username).executeTakeFirst();
}

async function assertUsernameFree(db: Executor, username: string, exceptId?: string) {
  const other = await findStaffByUsername(db, username);
  if (other && other.id !== exceptId) {
    // Former staff keep their usernames, so the audit trail stays unambiguous.
    throw new AppError(
      'CONFLICT',
      'That username is already used by a current or former member of staff.',
      [{ path: 'username', message: 'Already in use' }],
    );
  }
}

/** The clinic must always keep one practice manager who can sign in. */
async function assertAnotherManagerRemains(db: Executor, leavingId: string): Promise<void> {
  const others = await db
    .selectFrom('staff')
    .select('id')
    .where('role', '=', 'practice_manager')
    .where('status', '=', 'active')
    .where('deleted', '=', 0)
    .where('id', '!=', leavingId)
    .limit(1)
    .execute();
  if (others.length === 0)
    throw new AppError(
      'CONFLICT',
      'The clinic needs at least one active practice manager. Make someone else practice manager first.',
    );
}

export interface NewStaffMember {
  id: string;
  displayName: string;
  username: string;
  role: Role;
  providerId: string | null;
}

export async function insertStaff(ctx: ServiceContext, input: NewStaffMember): Promise<StaffRow> {
  return ctx.db.transaction().execute(async (tx) => {
    await assertUsernameFree(tx, input.username);
    await insertRecord(tx, ctx.writer, 'staff', {
      id: input.id,
      username: input.username,
      display_name: input.displayName,
      role: input.role,
      status: 'active',
      provider_id: input.providerId,
    });
    return getStaffRow(tx, input.id);
  });
}

export async function updateStaff(
  ctx: ServiceContext,
  id: string,
  patch: StaffPatch,
): Promise<{ before: StaffRow; after: StaffRow }> {
  const actorId = ctx.writer.actorId;
  return ctx.db.transaction().execute(async (tx) => {
    const before = await getStaffRow(tx, id);
    if (before.status === 'removed')
      throw new AppError('CONFLICT', 'A removed account cannot be changed.');
    if (patch.username !== undefined) await assertUsernameFree(tx, patch.username, id);
    if (
      patch.role !== undefined &&
      patch.role !== 'practice_manager' &&
      before.role === 'practice_manager' &&
      before.status === 'active'
    ) {
      if (id === actorId)
        throw new AppError(
          'CONFLICT',
          'You cannot take away your own practice manager role. Ask another practice manager.',
        );
      await assertAnotherManagerRemains(tx, id);
    }
    const values: Record<string, string | null> = {};
    if (patch.displayName !== undefined) values.display_name = patch.displayName;
    if (patch.username !== undefined) values.username = patch.username;
    if (patch.role !== undefined) values.role = patch.role;
    if (patch.providerId !== undefined) values.provider_id = patch.providerId;
    await updateRecord(tx, ctx.writer, 'staff', id, values);
    return { before, after: await getStaffRow(tx, id) };
  });
}

/**
 * Marks an account disabled or removed (the keyring side follows). Refuses your own account and
 * the last active practice manager.
 */
export async function setStaffStatus(
  ctx: ServiceContext,
  id: string,
  status: Exclude<StaffStatus, 'active'>,
): Promise<StaffRow> {
  return ctx.db.transaction().execute(async (tx) => {
    const row = await getStaffRow(tx, id);
    if (id === ctx.writer.actorId)
      throw new AppError(
        'CONFLICT',
        'You cannot disable or remove your own account. Ask another practice manager.',
      );
    if (row.status === 'removed')
      throw new AppError('CONFLICT', 'This account has already been removed.');
    if (row.role === 'practice_manager' && row.status === 'active')
      await assertAnotherManagerRemains(tx, id);
    await updateRecord(tx, ctx.writer, 'staff', id, { status });
    return getStaffRow(tx, id);
  });
}

export async function reactivateStaff(ctx: ServiceContext, id: string): Promise<StaffRow> {
  return ctx.db.transaction().execute(async (tx) => {
    const row = await getStaffRow(tx, id);
    if (row.status === 'removed')
      throw new AppError('CONFLICT', 'A removed account cannot be enabled again. Add a new one.');
    await updateRecord(tx, ctx.writer, 'staff', id, { status: 'active' });
    return getStaffRow(tx, id);
  });
}
