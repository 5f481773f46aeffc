import type { z } from 'zod';
import type { RelayErrorBody, RelayErrorCode } from '../shared/sync/protocol';

/**
 * A refusal the client can act on, sent as `{ error: { code, message } }` with `status`.
 * Messages name the field or rule at fault, never a value from the request.
 */
export class RelayError extends Error {
  override readonly name = 'RelayError';
  constructor(
    readonly status: number,
    readonly code: RelayErrorCode,
    message: string,
  ) {
    super(message);
  }

  toBody(): RelayErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

const MAX_ISSUES = 5;

function describePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(body)' : path.map((p) => String(p)).join('.');
}

/** Parses input with a zod schema; a mismatch is a 400 VALIDATION naming the fields at fault. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const listed = issues
    .slice(0, MAX_ISSUES)
    .map((i) => `${describePath(i.path)}: ${i.message}`)
    .join('; ');
  const more = issues.length > MAX_ISSUES ? ` (and ${issues.length - MAX_ISSUES} more)` : '';
  throw new RelayError(400, 'VALIDATION', `Invalid ${what}: ${listed}${more}`.slice(0, 1000));
}
