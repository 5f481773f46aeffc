import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { enrolmentApproval, enrolmentRequest, pairingCode } from '../../shared/sync/protocol';
import { requireDevice } from '../auth';
import type { RelayContext } from '../context';
import { parseInput } from '../errors';
import {
  approveEnrolment,
  enrolmentResult,
  requestEnrolment,
  viewEnrolment,
} from '../services/enrolment';
import type { RouteLimits } from './limits';

const codeParams = z.strictObject({ code: pairingCode });

export function registerEnrolmentRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  limits: RouteLimits,
): void {
  app.post('/v1/enrol/requests', { config: limits.strict }, async (req, reply) => {
    const input = parseInput(enrolmentRequest, req.body, 'enrolment request');
    return reply.code(201).send(await requestEnrolment(ctx, input));
  });

  app.get('/v1/enrol/requests/:code', async (req) => {
    const caller = await requireDevice(ctx, req);
    const { code } = parseInput(codeParams, req.params, 'pairing code');
    return viewEnrolment(ctx, caller, code);
  });

  app.post('/v1/enrol/requests/:code/approve', async (req) => {
    const caller = await requireDevice(ctx, req);
    const { code } = parseInput(codeParams, req.params, 'pairing code');
    const approval = parseInput(enrolmentApproval, req.body, 'approval');
    const device = await approveEnrolment(ctx, caller, code, approval);
    req.log.info({ event: 'device-enrolled', device: device.id, by: caller.id }, 'device enrolled');
    return device;
  });

  app.get('/v1/enrol/requests/:code/result', { config: limits.strict }, async (req) => {
    const { code } = parseInput(codeParams, req.params, 'pairing code');
    return enrolmentResult(ctx, code);
  });
}
