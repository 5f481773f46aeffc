import type { FastifyInstance } from 'fastify';
import { clinicBootstrap } from '../../shared/sync/protocol';
import { hasCredentials, requireDevice } from '../auth';
import type { RelayContext } from '../context';
import { sameSecret } from '../crypto';
import { parseInput, RelayError } from '../errors';
import { bootstrapClinic } from '../services/clinics';
import type { RouteLimits } from './limits';

export const SETUP_SECRET_HEADER = 'x-enamel-setup-secret';

export function registerClinicRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  limits: RouteLimits,
): void {
  app.post('/v1/clinics', { config: limits.strict }, async (req, reply) => {
    if (ctx.setupSecret !== null) {
      const given = req.headers[SETUP_SECRET_HEADER];
      if (typeof given !== 'string' || !sameSecret(given, ctx.setupSecret))
        throw new RelayError(
          403,
          'FORBIDDEN',
          `Creating a clinic on this relay needs its setup secret in the ${SETUP_SECRET_HEADER} header`,
        );
    }
    const input = parseInput(clinicBootstrap, req.body, 'clinic');
    const caller = hasCredentials(req) ? await requireDevice(ctx, req) : null;
    const result = await bootstrapClinic(ctx, input, caller);
    req.log.info({ event: 'clinic-created', clinic: result.clinic }, 'clinic created');
    return reply.code(201).send(result);
  });
}
