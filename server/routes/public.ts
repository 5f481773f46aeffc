import type { FastifyInstance } from 'fastify';
import { challengeRequest, tokenRequest } from '../../shared/sync/protocol';
import type { RelayContext } from '../context';
import { parseInput } from '../errors';
import { issueChallenge, redeemChallenge } from '../services/auth';
import type { RouteLimits } from './limits';

/** Health and signing in: the routes a device reaches without a token. */
export function registerAuthRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  limits: RouteLimits,
): void {
  app.get('/health', async () => ({ status: 'ok', protocol: 1, serverTime: ctx.now() }));

  app.post('/v1/auth/challenge', { config: limits.strict }, async (req) => {
    const { device } = parseInput(challengeRequest, req.body, 'challenge request');
    return issueChallenge(ctx, device);
  });

  app.post('/v1/auth/token', { config: limits.strict }, async (req) => {
    const input = parseInput(tokenRequest, req.body, 'token request');
    return redeemChallenge(ctx, input.device, input.nonce, input.signature);
  });
}
