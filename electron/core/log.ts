/**
 * Structured log lines for operators. Only ids, counts and error classes: never names, phones,
 * notes or any other patient data, and never error messages (they may quote input).
 */
type Fields = Record<string, string | number | boolean | null>;

function write(level: 'info' | 'warn' | 'error', msg: string, fields: Fields): void {
  if (process.env.ENAMEL_LOG === 'silent') return;
  const line = JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields });
  if (level === 'error') process.stderr.write(line + '\n');
  else if (process.env.ENAMEL_LOG === 'debug') process.stdout.write(line + '\n');
}

export const log = {
  info: (msg: string, fields: Fields = {}) => write('info', msg, fields),
  warn: (msg: string, fields: Fields = {}) => write('warn', msg, fields),
  error: (msg: string, fields: Fields = {}) => write('error', msg, fields),
};
