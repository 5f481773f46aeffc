import { parseArgs } from 'node:util';
import type { RelayStoreConfig } from './db/store';

export interface RelayConfig {
  port: number;
  host: string;
  store: RelayStoreConfig;
  setupSecret: string | null;
  tokenSecret: Uint8Array | undefined;
  /** Requests per minute per client address; the stricter limit of public routes scales along. */
  rateLimit: number;
}

export const USAGE = `Usage: npm run server -- --port PORT [--host HOST] [--db FILE]

  --port  TCP port (0 picks a free one)
  --host  address to listen on (default 127.0.0.1; put TLS in front for anything else)
  --db    SQLite file (default ./enamel-relay.sqlite); ignored when DATABASE_URL is set

Environment:
  DATABASE_URL               store in Postgres instead of SQLite
  ENAMEL_RELAY_SETUP_SECRET  required (x-enamel-setup-secret) to create clinics
  ENAMEL_RELAY_TOKEN_SECRET  base64, >= 32 bytes: keeps tokens valid across restarts and processes
  ENAMEL_RELAY_RATE_LIMIT    requests per minute per client address (default 1200)`;

/** Command line and environment to settings; throws with a readable message on bad input. */
export function readRelayConfig(argv: string[], env: NodeJS.ProcessEnv): RelayConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      db: { type: 'string', default: 'enamel-relay.sqlite' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.port === undefined || !/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535)
    throw new Error(`--port must be a number from 0 to 65535\n\n${USAGE}`);
  const databaseUrl = env.DATABASE_URL?.trim();
  let tokenSecret: Uint8Array | undefined;
  if (env.ENAMEL_RELAY_TOKEN_SECRET) {
    tokenSecret = new Uint8Array(Buffer.from(env.ENAMEL_RELAY_TOKEN_SECRET, 'base64'));
    if (tokenSecret.length < 32)
      throw new Error('ENAMEL_RELAY_TOKEN_SECRET must be base64 of at least 32 bytes');
  }
  const rateLimit = env.ENAMEL_RELAY_RATE_LIMIT ? Number(env.ENAMEL_RELAY_RATE_LIMIT) : 1200;
  if (!Number.isInteger(rateLimit) || rateLimit < 1)
    throw new Error('ENAMEL_RELAY_RATE_LIMIT must be a whole number of requests per minute');
  return {
    port: Number(values.port),
    host: values.host,
    store: databaseUrl
      ? { kind: 'postgres', url: databaseUrl }
      : { kind: 'sqlite', file: values.db },
    setupSecret: env.ENAMEL_RELAY_SETUP_SECRET || null,
    tokenSecret,
    rateLimit,
  };
}
