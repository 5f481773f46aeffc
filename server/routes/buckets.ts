import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { pullQuery, SERVER_TIME_HEADER, SYNC_LIMITS } from '../../shared/sync/protocol';
import { requireBucket, requireDevice } from '../auth';
import type { RelayContext } from '../context';
import { parseInput } from '../errors';
import { bucketHead, readPage } from '../services/pull';
import { acceptBatch } from '../services/push';
import { readPushBatch } from '../services/push-batch';

const bucketParams = z.strictObject({ bucket: z.string() });

export interface BucketRouteOptions {
  /** Comment lines on open event streams keep proxies from closing idle connections. */
  pingIntervalMs: number;
}

export function registerBucketRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  options: BucketRouteOptions,
): void {
  app.post('/v1/buckets/:bucket/push', { bodyLimit: SYNC_LIMITS.batchBytes }, async (req) => {
    const caller = await requireDevice(ctx, req);
    const bucket = requireBucket(caller, parseInput(bucketParams, req.params, 'bucket').bucket);
    const batch = readPushBatch(req.body);
    const outcome = await acceptBatch(ctx, caller, bucket, batch);
    if (outcome.lastServerSeq !== null) ctx.pokes.notify(bucket, outcome.lastServerSeq);
    req.log.info(
      {
        event: 'push',
        device: caller.id,
        bucket,
        messages: batch.messages.length,
        stored: outcome.stored,
        rejected: outcome.result.rejected.length,
      },
      'batch accepted',
    );
    return outcome.result;
  });

  app.get('/v1/buckets/:bucket/pull', async (req) => {
    const caller = await requireDevice(ctx, req);
    const bucket = requireBucket(caller, parseInput(bucketParams, req.params, 'bucket').bucket);
    const query = parseInput(pullQuery, req.query, 'pull query');
    return readPage(ctx, bucket, Number(query.after), query.limit ?? SYNC_LIMITS.pageMessages);
  });

  app.get('/v1/buckets/:bucket/events', async (req, reply) => {
    const caller = await requireDevice(ctx, req);
    const bucket = requireBucket(caller, parseInput(bucketParams, req.params, 'bucket').bucket);
    const head = await bucketHead(ctx, bucket);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      [SERVER_TIME_HEADER]: String(ctx.now()),
    });
    const send = (event: string, data: unknown) =>
      raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('ready', { bucket, serverSeq: head });
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(ping);
      clearTimeout(expiry);
      remove();
      raw.end();
    };
    const remove = ctx.pokes.add({
      device: caller.id,
      bucket,
      poke: (event) => send('poke', event),
      close,
    });
    const ping = setInterval(() => raw.write(': ping\n\n'), options.pingIntervalMs);
    // The stream lives no longer than the token that opened it: the client signs in again.
    const expiry = setTimeout(close, Math.max(0, caller.tokenExpiresAt - ctx.now()));
    req.raw.on('close', close);
    // A write racing a disconnect must end this stream, not the process.
    raw.on('error', close);
    return reply;
  });
}
