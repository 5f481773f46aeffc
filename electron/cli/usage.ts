import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command was called: exit code 2 and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The option every command takes, with --help. */
export const COMMON_OPTIONS = {
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

const PASSWORD_FLAGS = /^(--password|--pass|--pw|-p)(=|$)/i;

/**
 * Parses a command's options strictly: unknown options, missing values and stray positionals are
 * usage errors. A password option is refused with its own explanation.
 */
export function parseOptions<O extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: O,
) {
  for (const arg of args) {
    if (PASSWORD_FLAGS.test(arg))
      throw new UsageError(
        'Passwords are never taken as options (they would be kept in shell history and shown in process lists). Set ENAMEL_PASSWORD or type it when asked.',
      );
  }
  try {
    return parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...options },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    // Positionals are not echoed back: a password typed in the wrong place would be.
    if ((e as { code?: string }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new UsageError('This command takes no positional arguments (options start with --)');
    throw new UsageError(((e as Error).message.split('. ')[0] ?? 'Invalid options').trim());
  }
}

/** A whole number option within bounds. */
export function integerOption(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.replace(/_/g, '')))
    throw new UsageError(`--${name} needs a whole number`);
  const n = Number(value.replace(/_/g, ''));
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}`);
  return n;
}

export function requireOption(value: string | undefined, name: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}
