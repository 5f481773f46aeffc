import { runCli } from './cli';

/**
 * The enamel command line, for administrators, development and benchmarks:
 * `npm run enamel -- <command> [options]`, or `enamel --help`.
 */
async function main(): Promise<void> {
  // Core logs go to stderr as JSON lines; on the command line only errors are worth showing.
  process.env.ENAMEL_LOG ??= 'silent';
  const code = await runCli(process.argv.slice(2), {
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
  // Let buffered output drain, then leave even if a library left a handle open.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

void main();
