import crypto from 'node:crypto';
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Core } from '../core/core';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp';

export interface WebHostOptions {
  core: Core;
  /** Built renderer (vite build output). */
  rendererDir: string;
  port: number;
  host?: '127.0.0.1' | '::1';
  /** Fixed token for tests; random per run otherwise. */
  token?: string;
}

export interface WebHost {
  app: FastifyInstance;
  url: string;
  token: string;
  close(): Promise<void>;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/**
 * Development and test host: serves the renderer and carries the same commands to the core over
 * HTTP on loopback, behind a random per-run token (sent as `x-enamel-token`, or `?token=` for the
 * event stream). Never part of the packaged app.
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? crypto.randomBytes(32).toString('base64url');
  const host = options.host ?? '127.0.0.1';
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  if (!fs.existsSync(path.join(options.rendererDir, 'index.html'))) {
    throw new Error(
      `The renderer is not built (${options.rendererDir}); run npm run build:renderer`,
    );
  }

  app.addHook('onSend', async (_req, reply) => {
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cache-Control', 'no-store');
  });

  // Only the host header we serve on: blocks DNS rebinding from a web page in another browser tab.
  let allowedHosts: string[] = [];
  app.addHook('onRequest', async (req, reply) => {
    if (!allowedHosts.includes(req.headers.host ?? ''))
      return reply.code(403).send({ error: 'forbidden host' });
  });

  const authorised = (supplied: unknown) =>
    typeof supplied === 'string' && sameToken(supplied, token);

  app.post<{ Params: { name: string } }>('/api/invoke/:name', async (req, reply) => {
    if (!authorised(req.headers['x-enamel-token'])) {
      return reply.code(401).send({
        ok: false,
        error: {
          code: 'FORBIDDEN_SENDER',
          message: 'This page is not allowed to talk to Enamel.',
        },
      });
    }
    return options.core.dispatch(req.params.name, req.body ?? {});
  });

  // Event streams never go idle, so closing the server would wait for every open window to go
  // away: end them first.
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
    streams.clear();
  });

  app.get<{ Querystring: { token?: string } }>('/api/events', (req, reply) => {
    if (!authorised(req.query.token)) return reply.code(401).send({ error: 'unauthorised' });
    reply.hijack();
    reply.raw.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    });
    reply.raw.write(': connected\n\n');
    streams.add(reply.raw);
    const unsubscribe = options.core.subscribe((event, payload) => {
      reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const ping = setInterval(() => reply.raw.write(': ping\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(ping);
      unsubscribe();
      streams.delete(reply.raw);
    });
  });

  await app.register(fastifyStatic, {
    root: path.resolve(options.rendererDir),
    index: ['index.html'],
  });
  await app.listen({ port: options.port, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  const base = host === '::1' ? `http://[::1]:${port}` : `http://127.0.0.1:${port}`;
  return {
    app,
    token,
    url: `${base}/#token=${token}`,
    close: async () => {
      await app.close();
    },
  };
}
