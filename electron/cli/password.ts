import { UsageError } from './usage';

/**
 * The password comes from ENAMEL_PASSWORD, or from standard input: typed without echo at a
 * terminal, otherwise the first line of what is piped in. It is never an option.
 */
export async function readPassword(
  prompt: string,
  options: { confirm?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const env = options.env ?? process.env;
  const fromEnv = env.ENAMEL_PASSWORD;
  if (fromEnv !== undefined) {
    if (fromEnv === '') throw new UsageError('ENAMEL_PASSWORD is set but empty');
    return fromEnv;
  }
  const stdin = process.stdin;
  if (stdin.isTTY) {
    const first = await readHidden(`${prompt}: `);
    if (options.confirm) {
      const again = await readHidden('Type it again: ');
      if (again !== first) throw new UsageError('The two passwords are not the same');
    }
    if (first === '') throw new UsageError('No password was typed');
    return first;
  }
  const line = await readFirstLine();
  if (line === null || line === '')
    throw new UsageError(
      'No password: set ENAMEL_PASSWORD or pipe it on the first line of standard input',
    );
  return line;
}

/** Reads the first line of piped input, then lets go of stdin so the process can exit. */
function readFirstLine(): Promise<string | null> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let buffered = '';
    const finish = (value: string | null) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
      stdin.destroy();
      resolve(value);
    };
    const onData = (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline >= 0) finish(buffered.slice(0, newline).replace(/\r$/, ''));
      else if (buffered.length > 4096) finish(null);
    };
    const onEnd = () => finish(buffered === '' ? null : buffered.replace(/\r$/, ''));
    const onError = (e: Error) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      reject(e);
    };
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onError);
    stdin.resume();
  });
}

/** Reads one line at a terminal with echo off. Ctrl-C cancels. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new UsageError('Cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = Array.from(typed).slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}
