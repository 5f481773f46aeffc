import type { FastifyContextConfig } from 'fastify';

/** Per-route rate-limit settings: `strict` for routes anyone can call without a token. */
export interface RouteLimits {
  strict: FastifyContextConfig;
}
