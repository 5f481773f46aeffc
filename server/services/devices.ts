import type { DeviceInfo } from '../../shared/sync/protocol';
import type { SignedInDevice } from '../auth';
import type { RelayContext } from '../context';
import type { DeviceRow } from '../db/tables/device';
import { RelayError } from '../errors';

export function deviceInfo(row: DeviceRow): DeviceInfo {
  return {
    id: row.id,
    clinic: row.clinic_id,
    name: row.name,
    status: row.status,
    signingKey: row.signing_key,
    boxKey: row.box_key,
    createdAt: row.created_at,
    lastSeen: row.last_seen,
    revokedAt: row.revoked_at,
  };
}

/** The workstations of the caller's clinic, oldest first. */
export async function listDevices(
  ctx: RelayContext,
  caller: SignedInDevice,
): Promise<DeviceInfo[]> {
  const rows = await ctx.store.db
    .selectFrom('device')
    .selectAll()
    .where('clinic_id', '=', caller.clinicId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(deviceInfo);
}

/**
 * Stops a workstation of the caller's clinic at the relay at once: its token, its event streams
 * and any push in flight are refused from now on. Revoking twice answers the same. The clinic key
 * rotation that must follow is the workstations' job (the relay never sees clinic keys).
 */
export async function revokeDevice(
  ctx: RelayContext,
  caller: SignedInDevice,
  target: string,
): Promise<DeviceInfo> {
  const now = ctx.now();
  const row = await ctx.store.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('device')
      .set({ status: 'revoked', revoked_at: now })
      .where('id', '=', target)
      .where('clinic_id', '=', caller.clinicId)
      .where('status', '=', 'active')
      .execute();
    return tx
      .selectFrom('device')
      .selectAll()
      .where('id', '=', target)
      .where('clinic_id', '=', caller.clinicId)
      .executeTakeFirst();
  });
  if (!row) throw new RelayError(404, 'NOT_FOUND', 'No workstation with this id in your clinic');
  ctx.pokes.closeDevice(target);
  return deviceInfo(row);
}
