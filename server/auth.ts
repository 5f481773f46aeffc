import type { FastifyRequest } from 'fastify';
import { decodeBase64 } from '../shared/sync/base64';
import { bucketId, clinicBucketId, organisationBucketId } from '../shared/sync/protocol';
import type { RelayContext } from './context';
import { parseInput, RelayError } from './errors';

/** The workstation behind a request's bearer token, re-read from the store on every request. */
export interface SignedInDevice {
  id: string;
  clinicId: string;
  organisationId: string;
  signingKey: Uint8Array;
  tokenExpiresAt: number;
}

/** last_seen is a hint for administrators; writing it on every request would only cost. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

export const revoked = () =>
  new RelayError(
    403,
    'DEVICE_REVOKED',
    'This workstation has been revoked; enrol it again to sync',
  );

function bearer(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer ([A-Za-z0-9_.-]{1,512})$/.exec(header);
  return match ? match[1]! : null;
}

/** Whether the request carries an Authorization header at all (valid or not). */
export function hasCredentials(req: FastifyRequest): boolean {
  return req.headers.authorization !== undefined;
}

export async function requireDevice(
  ctx: RelayContext,
  req: FastifyRequest,
): Promise<SignedInDevice> {
  const token = bearer(req);
  if (!token)
    throw new RelayError(
      401,
      'UNAUTHENTICATED',
      'Sign in first: send "Authorization: Bearer <token>" from POST /v1/auth/token',
    );
  const now = ctx.now();
  const check = ctx.tokens.check(token, now);
  if (!check.ok)
    throw check.reason === 'expired'
      ? new RelayError(401, 'TOKEN_EXPIRED', 'The token has expired; ask for a new challenge')
      : new RelayError(401, 'UNAUTHENTICATED', 'The token is not valid');
  const row = await ctx.store.db
    .selectFrom('device')
    .innerJoin('clinic', 'clinic.id', 'device.clinic_id')
    .select([
      'device.id',
      'device.clinic_id',
      'device.status',
      'device.signing_key',
      'device.last_seen',
      'clinic.organisation_id',
    ])
    .where('device.id', '=', check.device)
    .executeTakeFirst();
  if (!row) throw new RelayError(401, 'UNAUTHENTICATED', 'This workstation is not enrolled');
  if (row.status !== 'active') throw revoked();
  if (row.last_seen === null || now - row.last_seen >= LAST_SEEN_RESOLUTION_MS)
    await ctx.store.db
      .updateTable('device')
      .set({ last_seen: now })
      .where('id', '=', row.id)
      .execute();
  return {
    id: row.id,
    clinicId: row.clinic_id,
    organisationId: row.organisation_id,
    signingKey: decodeBase64(row.signing_key),
    tokenExpiresAt: check.expiresAt,
  };
}

/** A device reads and writes only its clinic's bucket and its organisation's bucket. */
export function requireBucket(device: SignedInDevice, param: unknown): string {
  const bucket = parseInput(bucketId, param, 'bucket');
  if (
    bucket !== clinicBucketId(device.clinicId) &&
    bucket !== organisationBucketId(device.organisationId)
  )
    throw new RelayError(
      403,
      'FORBIDDEN_BUCKET',
      "This workstation may only use its own clinic's and organisation's buckets",
    );
  return bucket;
}
