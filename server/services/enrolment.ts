import { decodeBase64 } from '../../shared/sync/base64';
import { enrolmentFingerprint } from '../../shared/sync/crypto';
import {
  clinicBucketId,
  ENROLMENT_TTL_MS,
  organisationBucketId,
  type DeviceInfo,
  type EnrolmentApproval,
  type EnrolmentCreated,
  type EnrolmentRequest,
  type EnrolmentResult,
  type EnrolmentStatus,
  type EnrolmentView,
} from '../../shared/sync/protocol';
import type { SignedInDevice } from '../auth';
import type { RelayContext } from '../context';
import { relayCrypto } from '../crypto';
import { isUniqueViolation } from '../db/store';
import type { EnrolmentRequestRow } from '../db/tables/enrolment-request';
import { RelayError } from '../errors';
import { deviceInfo } from './devices';

/** Waiting requests one clinic may have at a time: anyone can post one, so they are capped. */
export const MAX_PENDING_PER_CLINIC = 20;
/** Finished and expired requests are forgotten after this long. */
const KEEP_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000;

const notFound = () =>
  new RelayError(404, 'NOT_FOUND', 'No enrolment request with this pairing code');

function statusOf(row: EnrolmentRequestRow, now: number): EnrolmentStatus {
  if (row.status === 'approved') return 'approved';
  return row.expires_at <= now ? 'expired' : 'pending';
}

/** A new workstation announces itself with its pairing code and public keys. */
export async function requestEnrolment(
  ctx: RelayContext,
  input: EnrolmentRequest,
): Promise<EnrolmentCreated> {
  const now = ctx.now();
  const fingerprint = enrolmentFingerprint(
    relayCrypto,
    decodeBase64(input.device.signingKey),
    decodeBase64(input.device.boxKey),
  );
  const expiresAt = now + ENROLMENT_TTL_MS;
  const db = ctx.store.db;
  await db
    .deleteFrom('enrolment_request')
    .where('expires_at', '<', now - KEEP_AFTER_EXPIRY_MS)
    .execute();
  const clinic = await db
    .selectFrom('clinic')
    .select('id')
    .where('id', '=', input.clinic)
    .executeTakeFirst();
  if (!clinic) throw new RelayError(404, 'NOT_FOUND', 'No clinic with this id on the relay');
  const device = await db
    .selectFrom('device')
    .select('id')
    .where('id', '=', input.device.id)
    .executeTakeFirst();
  if (device)
    throw new RelayError(409, 'CONFLICT', 'A workstation with this id is already enrolled');
  const pending = await db
    .selectFrom('enrolment_request')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('clinic_id', '=', input.clinic)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  if (Number(pending.n) >= MAX_PENDING_PER_CLINIC)
    throw new RelayError(
      429,
      'TOO_MANY_PENDING',
      'This clinic has too many enrolment requests waiting; approve or let them expire first',
    );
  try {
    await db
      .insertInto('enrolment_request')
      .values({
        code: input.code,
        clinic_id: input.clinic,
        device_id: input.device.id,
        device_name: input.device.name,
        signing_key: input.device.signingKey,
        box_key: input.device.boxKey,
        fingerprint,
        status: 'pending',
        created_at: now,
        expires_at: expiresAt,
        approved_by: null,
        approved_at: null,
        sealed_clinic_key: null,
        key_id: null,
      })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error))
      throw new RelayError(409, 'CONFLICT', 'This pairing code is in use; generate another');
    throw error;
  }
  return { code: input.code, fingerprint, expiresAt };
}

async function requestOfClinic(ctx: RelayContext, caller: SignedInDevice, code: string) {
  const row = await ctx.store.db
    .selectFrom('enrolment_request')
    .selectAll()
    .where('code', '=', code)
    .executeTakeFirst();
  // Another clinic's request looks the same as none at all.
  if (!row || row.clinic_id !== caller.clinicId) throw notFound();
  return row;
}

/** What an administrator checks against the new workstation's screen before approving. */
export async function viewEnrolment(
  ctx: RelayContext,
  caller: SignedInDevice,
  code: string,
): Promise<EnrolmentView> {
  const row = await requestOfClinic(ctx, caller, code);
  return {
    code: row.code,
    clinic: row.clinic_id,
    device: { id: row.device_id, name: row.device_name },
    signingKey: row.signing_key,
    boxKey: row.box_key,
    fingerprint: row.fingerprint,
    status: statusOf(row, ctx.now()),
    expiresAt: row.expires_at,
  };
}

/** Enrols the workstation and leaves the clinic key, sealed to it, for it to collect. */
export async function approveEnrolment(
  ctx: RelayContext,
  caller: SignedInDevice,
  code: string,
  approval: EnrolmentApproval,
): Promise<DeviceInfo> {
  const now = ctx.now();
  const row = await requestOfClinic(ctx, caller, code);
  const status = statusOf(row, now);
  if (status === 'approved')
    throw new RelayError(409, 'CONFLICT', 'This enrolment request was already approved');
  if (status === 'expired')
    throw new RelayError(
      410,
      'EXPIRED',
      'This enrolment request has expired; start again on the new workstation',
    );
  try {
    const device = await ctx.store.db.transaction().execute(async (tx) => {
      const updated = await tx
        .updateTable('enrolment_request')
        .set({
          status: 'approved',
          approved_by: caller.id,
          approved_at: now,
          sealed_clinic_key: approval.sealedClinicKey,
          key_id: approval.keyId,
        })
        .where('code', '=', code)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1)
        throw new RelayError(409, 'CONFLICT', 'This enrolment request was already approved');
      return tx
        .insertInto('device')
        .values({
          id: row.device_id,
          clinic_id: row.clinic_id,
          name: row.device_name,
          signing_key: row.signing_key,
          box_key: row.box_key,
          status: 'active',
          created_at: now,
          last_seen: null,
          revoked_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return deviceInfo(device);
  } catch (error) {
    if (isUniqueViolation(error))
      throw new RelayError(409, 'CONFLICT', 'A workstation with this id is already enrolled');
    throw error;
  }
}

/** Polled by the new workstation; only it can open the sealed clinic key. */
export async function enrolmentResult(ctx: RelayContext, code: string): Promise<EnrolmentResult> {
  const row = await ctx.store.db
    .selectFrom('enrolment_request')
    .selectAll()
    .where('code', '=', code)
    .executeTakeFirst();
  if (!row) throw notFound();
  const status = statusOf(row, ctx.now());
  if (status !== 'approved') return { status, expiresAt: row.expires_at };
  const organisation = await ctx.store.db
    .selectFrom('clinic')
    .select('organisation_id')
    .where('id', '=', row.clinic_id)
    .executeTakeFirstOrThrow();
  return {
    status,
    expiresAt: row.expires_at,
    sealedClinicKey: row.sealed_clinic_key ?? '',
    keyId: row.key_id ?? '',
    clinic: row.clinic_id,
    buckets: {
      clinic: clinicBucketId(row.clinic_id),
      organisation: organisationBucketId(organisation.organisation_id),
    },
  };
}
