import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';
import { AppError } from '../shared/errors';
import { messageOf } from './api/client';

interface IssueLike {
  code: string;
  expected?: string;
  format?: string;
  input?: unknown;
}

/**
 * Messages for the zod issues our schemas leave generic (wrong type, not one of the options):
 * schema-level messages such as "Given names is required" still win.
 */
export function humanIssue(issue: IssueLike): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'number') return 'Enter a number';
      return issue.input === undefined || issue.input === null || issue.input === ''
        ? 'This is required'
        : 'This value is not valid';
    case 'invalid_value':
    case 'invalid_union':
      return 'Choose one of the options';
    case 'invalid_format':
      return issue.format === 'email' ? 'Enter a valid email address' : 'This format is not valid';
    default:
      return undefined;
  }
}

/**
 * Puts the core's field messages next to their inputs. Paths arrive as `phones.0.number`, or
 * prefixed with the command's wrapper (`patient.`, `patch.`) when the arguments themselves were
 * refused. Returns the overall message to show above the form.
 */
export function applyServerErrors<T extends FieldValues>(
  error: unknown,
  setError: UseFormSetError<T>,
  options: { stripPrefixes?: string[]; isField?: (path: string) => boolean } = {},
): string {
  if (!(error instanceof AppError)) return messageOf(error);
  const loose: string[] = [];
  for (const issue of error.fields ?? []) {
    let path = issue.path;
    for (const prefix of options.stripPrefixes ?? []) {
      if (path.startsWith(`${prefix}.`)) path = path.slice(prefix.length + 1);
    }
    if (path && path !== '(input)' && (options.isField?.(path) ?? true)) {
      setError(path as Path<T>, { type: 'server', message: issue.message });
    } else loose.push(issue.message);
  }
  return [error.message, ...loose].join(' ');
}
