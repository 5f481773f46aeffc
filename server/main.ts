import { buildRelay } from './app';
import { readRelayConfig } from './config';

/** Seconds a shutdown may take before the process gives up waiting for open requests. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = readRelayConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const relay = await buildRelay({
    store: config.store,
    setupSecret: config.setupSecret,
    rateLimits: {
      max: config.rateLimit,
      strictMax: Math.max(1, Math.round(config.rateLimit / 20)),
      windowMs: 60_000,
    },
    ...(config.tokenSecret ? { tokenSecret: config.tokenSecret } : {}),
  });
  relay.app.log.info(
    { store: config.store.kind, setupSecret: config.setupSecret !== null },
    'relay starting',
  );
  if (config.setupSecret === null)
    relay.app.log.warn(
      'ENAMEL_RELAY_SETUP_SECRET is not set: anyone who reaches the relay can create clinics',
    );
  await relay.app.listen({ port: config.port, host: config.host });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    relay.app.log.info({ signal }, 'relay stopping');
    const timer = setTimeout(() => {
      relay.app.log.error('relay did not stop in time');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    timer.unref();
    relay.close().then(
      () => process.exit(0),
      (error: unknown) => {
        relay.app.log.error({ err: error }, 'relay failed to stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  // Startup failures (store unreachable, port taken) carry no request data.
  process.stderr.write(
    `The relay could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
