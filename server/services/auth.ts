import crypto from 'node:crypto';
import { authChallengeBytes } from '../../shared/sync/canonical';
import { decodeBase64 } from '../../shared/sync/base64';
import {
  CHALLENGE_TTL_MS,
  type ChallengeResponse,
  type TokenResponse,
} from '../../shared/sync/protocol';
import { revoked } from '../auth';
import type { RelayContext } from '../context';
import { relayCrypto } from '../crypto';
import { RelayError } from '../errors';

const notEnrolled = () =>
  new RelayError(401, 'UNAUTHENTICATED', 'This workstation is not enrolled on the relay');

async function activeDevice(ctx: RelayContext, device: string) {
  const row = await ctx.store.db
    .selectFrom('device')
    .select(['id', 'status', 'signing_key'])
    .where('id', '=', device)
    .executeTakeFirst();
  if (!row) throw notEnrolled();
  if (row.status !== 'active') throw revoked();
  return row;
}

/** Step one of signing in: a single-use random nonce for the device to sign. */
export async function issueChallenge(
  ctx: RelayContext,
  device: string,
): Promise<ChallengeResponse> {
  await activeDevice(ctx, device);
  const now = ctx.now();
  const nonce = crypto.randomBytes(32).toString('base64');
  const expiresAt = now + CHALLENGE_TTL_MS;
  await ctx.store.db.deleteFrom('auth_challenge').where('expires_at', '<', now).execute();
  await ctx.store.db
    .insertInto('auth_challenge')
    .values({ nonce, device_id: device, expires_at: expiresAt })
    .execute();
  return { nonce, expiresAt };
}

/**
 * Step two: the signed nonce buys a short-lived token. The nonce is spent whether or not the
 * signature holds, so one observed challenge cannot be tried twice.
 */
export async function redeemChallenge(
  ctx: RelayContext,
  device: string,
  nonce: string,
  signature: string,
): Promise<TokenResponse> {
  const now = ctx.now();
  const spent = await ctx.store.db
    .deleteFrom('auth_challenge')
    .where('nonce', '=', nonce)
    .where('device_id', '=', device)
    .where('expires_at', '>=', now)
    .returning('nonce')
    .executeTakeFirst();
  if (!spent)
    throw new RelayError(
      401,
      'UNAUTHENTICATED',
      'The challenge is unknown, used or expired; ask for a new one',
    );
  const row = await activeDevice(ctx, device);
  const valid = relayCrypto.verifyDetached(
    decodeBase64(signature),
    authChallengeBytes(device, decodeBase64(nonce)),
    decodeBase64(row.signing_key),
  );
  if (!valid)
    throw new RelayError(
      401,
      'BAD_SIGNATURE',
      "The challenge signature does not match this workstation's key",
    );
  const { token, expiresAt } = ctx.tokens.issue(device, now);
  await ctx.store.db
    .updateTable('device')
    .set({ last_seen: now })
    .where('id', '=', device)
    .execute();
  return { token, expiresAt, serverTime: now };
}
