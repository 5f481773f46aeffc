import type { Writable } from 'node:stream';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { SERVER_TIME_HEADER, SYNC_LIMITS, TOKEN_TTL_MS } from '../shared/sync/protocol';
import { registerCompression } from './compression';
import type { RelayContext } from './context';
import { openRelayStore, type RelayStore, type RelayStoreConfig } from './db/store';
import { refusalOf } from './http-errors';
import { PokeHub } from './pokes';
import { registerBucketRoutes } from './routes/buckets';
import { registerClinicRoutes } from './routes/clinics';
import { registerDeviceRoutes } from './routes/devices';
import { registerEnrolmentRoutes } from './routes/enrolment';
import type { RouteLimits } from './routes/limits';
import { registerAuthRoutes } from './routes/public';
import { PushQueue } from './services/push';
import { TokenKeeper } from './tokens';

export interface RelayRateLimits {
  /** Requests per window per client address, on every route. */
  max: number;
  /** Requests per window per client address on routes callable without a token. */
  strictMax: number;
  windowMs: number;
}

export const DEFAULT_RATE_LIMITS: RelayRateLimits = { max: 1200, strictMax: 60, windowMs: 60_000 };

export interface RelayOptions {
  /** An open store, or where to open one (the relay then closes it on shutdown). */
  store: RelayStore | RelayStoreConfig;
  now?: () => number;
  /** Required in `x-enamel-setup-secret` to create clinics, when set. */
  setupSecret?: string | null;
  /** HMAC key for tokens; random per process when absent (tokens then die with the process). */
  tokenSecret?: Uint8Array;
  tokenTtlMs?: number;
  rateLimits?: RelayRateLimits | false;
  /** Where structured logs go (JSON lines); `false` for none. Defaults to stdout. */
  log?: { stream?: Writable; level?: 'debug' | 'info' | 'warn' | 'error' } | false;
  pingIntervalMs?: number;
}

export interface Relay {
  app: FastifyInstance;
  store: RelayStore;
  context: RelayContext;
  /** Ends event streams, stops accepting requests, waits for those in flight, closes the store. */
  close(): Promise<void>;
}

function isOpenStore(store: RelayStore | RelayStoreConfig): store is RelayStore {
  return 'db' in store;
}

/**
 * Logs carry method, route pattern, status, timings and the ids the routes add: never bodies
 * (payloads, keys), headers (tokens, setup secret), query strings or error messages, which may
 * quote input.
 */
function loggerOptions(log: RelayOptions['log']): FastifyServerOptions['logger'] {
  if (log === false) return false;
  return {
    level: log?.level ?? 'info',
    ...(log?.stream ? { stream: log.stream } : {}),
    serializers: {
      // Fastify hands its own request object to this serializer, not the raw one the type names.
      req: (req) => ({
        method: req.method,
        route: (req as unknown as FastifyRequest).routeOptions?.url ?? 'unmatched',
      }),
      res: (res) => ({ statusCode: res.statusCode }),
      err: (err) => ({
        type: err.name,
        code: err.code,
        message: '(not logged)',
        // Frames only: the first line of a stack repeats the message.
        stack: (err.stack ?? '').split('\n').slice(1).join('\n'),
      }),
    },
  };
}

/**
 * Builds the sync relay: a Fastify app over a migrated store. Call `app.listen` to serve.
 *
 * @example
 * const relay = await buildRelay({ store: { kind: 'sqlite', file: 'relay.sqlite' } });
 * await relay.app.listen({ port: 8787, host: '127.0.0.1' });
 */
export async function buildRelay(options: RelayOptions): Promise<Relay> {
  const ownsStore = !isOpenStore(options.store);
  const store = isOpenStore(options.store) ? options.store : await openRelayStore(options.store);
  const ctx: RelayContext = {
    store,
    now: options.now ?? Date.now,
    tokens: new TokenKeeper(options.tokenSecret, options.tokenTtlMs ?? TOKEN_TTL_MS),
    pokes: new PokeHub(),
    pushes: new PushQueue(store),
    setupSecret: options.setupSecret ?? null,
  };

  const app = Fastify({
    logger: loggerOptions(options.log),
    bodyLimit: SYNC_LIMITS.requestBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
  });

  const limits = options.rateLimits === undefined ? DEFAULT_RATE_LIMITS : options.rateLimits;
  const routeLimits: RouteLimits = {
    strict: limits ? { rateLimit: { max: limits.strictMax, timeWindow: limits.windowMs } } : {},
  };
  if (limits)
    await app.register(rateLimit, {
      global: true,
      max: limits.max,
      timeWindow: limits.windowMs,
      errorResponseBuilder: (_req, context) => ({
        statusCode: context.statusCode,
        code: 'RATE_LIMITED',
        message: 'Too many requests; wait and try again',
      }),
    });

  app.addHook('onRequest', async (_req, reply) => {
    reply.header(SERVER_TIME_HEADER, String(ctx.now()));
    reply.header('Cache-Control', 'no-store');
    reply.header('X-Content-Type-Options', 'nosniff');
  });

  app.setErrorHandler((error, req, reply) => {
    const refusal = refusalOf(error);
    if (refusal.status >= 500) req.log.error({ err: error }, 'request failed');
    else req.log.info({ code: refusal.body.error.code }, 'request refused');
    return reply.code(refusal.status).send(refusal.body);
  });

  app.setNotFoundHandler(limits ? { preHandler: app.rateLimit() } : {}, (_req, reply) =>
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'No such endpoint' } }),
  );

  registerCompression(app);
  registerAuthRoutes(app, ctx, routeLimits);
  registerClinicRoutes(app, ctx, routeLimits);
  registerEnrolmentRoutes(app, ctx, routeLimits);
  registerDeviceRoutes(app, ctx);
  registerBucketRoutes(app, ctx, { pingIntervalMs: options.pingIntervalMs ?? 15_000 });

  app.addHook('preClose', async () => {
    ctx.pokes.closeAll();
  });
  app.addHook('onClose', async () => {
    if (ownsStore) await store.close();
  });

  await app.ready();
  return { app, store, context: ctx, close: () => app.close() };
}
