import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { syncId } from '../../shared/sync/protocol';
import { requireDevice } from '../auth';
import type { RelayContext } from '../context';
import { parseInput } from '../errors';
import { listDevices, revokeDevice } from '../services/devices';

const deviceParams = z.strictObject({ id: syncId });
/** Revocation takes no arguments; an empty object (or no body) is all it accepts. */
const noBody = z.strictObject({}).optional();

export function registerDeviceRoutes(app: FastifyInstance, ctx: RelayContext): void {
  app.get('/v1/devices', async (req) => {
    const caller = await requireDevice(ctx, req);
    return { devices: await listDevices(ctx, caller) };
  });

  app.post('/v1/devices/:id/revoke', async (req) => {
    const caller = await requireDevice(ctx, req);
    const { id } = parseInput(deviceParams, req.params, 'device');
    parseInput(noBody, req.body, 'revocation');
    const device = await revokeDevice(ctx, caller, id);
    req.log.info({ event: 'device-revoked', device: id, by: caller.id }, 'device revoked');
    return device;
  });
}
