import path from 'node:path';
import { parseArgs } from 'node:util';
import { Core } from '../core/core';
import { defaultDataDir } from '../core/paths';
import { startWebHost } from './server';

/** `npm run web -- --data-dir D --port P`: the app in a browser, on loopback, for development and tests. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string', default: '5217' },
      renderer: { type: 'string', default: path.resolve('dist/renderer') },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('enamel web: --port must be a number between 0 and 65535');
    process.exit(2);
  }
  const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir();
  const core = new Core({ dataDir });
  const host = await startWebHost({ core, rendererDir: values.renderer!, port });
  console.log(`Enamel is running at ${host.url}`);
  console.log(`Data folder: ${dataDir}`);
  const stop = async () => {
    await host.close();
    await core.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(`enamel web: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
