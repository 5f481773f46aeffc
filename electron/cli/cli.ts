import { AppError } from '../../shared/errors';
import { mapStoreError } from '../core/db/store';
import { backupCommand } from './commands/backup';
import { initCommand } from './commands/init';
import { restoreCommand } from './commands/restore';
import { seedCommand } from './commands/seed';
import { verifyCommand } from './commands/verify';
import type { CliContext, Command } from './context';
import { UsageError } from './usage';

const COMMANDS: readonly Command[] = [
  initCommand,
  seedCommand,
  verifyCommand,
  backupCommand,
  restoreCommand,
];

const overview = `Usage: enamel <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join('\n')}

Every command takes --data-dir DIR (default: ENAMEL_DATA_DIR, else your user data folder) and
--help. Passwords are read from ENAMEL_PASSWORD or standard input, never from options.
Exit status: 0 success, 1 failure, 2 usage error.`;

/**
 * Runs one command line and returns the exit status: 0 success, 1 failure, 2 usage error. Errors
 * are one line for people, with no stack traces and no patient data.
 */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.out(overview);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    ctx.err(`enamel: unknown command "${name.slice(0, 40)}". Run "enamel --help" for the list.`);
    return 2;
  }
  try {
    return await command.run(rest, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      const message = e.message.replace(/\.$/, '');
      ctx.err(`enamel ${command.name}: ${message}. Run "enamel ${command.name} --help".`);
      return 2;
    }
    ctx.err(`enamel ${command.name}: ${describe(e)}`);
    return 1;
  }
}

/** One line for a person. Messages of unexpected errors are not shown: they may quote data. */
function describe(e: unknown): string {
  const mapped = mapStoreError(e);
  if (mapped instanceof AppError) {
    return mapped.code === 'NOT_SET_UP' && !/enamel init/.test(mapped.message)
      ? `${mapped.message} Run "enamel init" first.`
      : mapped.describe();
  }
  const name = (e as Error)?.name ?? 'Error';
  const code = (e as { code?: unknown })?.code;
  return `Something went wrong (${name}${typeof code === 'string' ? ` ${code}` : ''}).`;
}
