/**
 * Error codes that cross the IPC boundary. Messages are written for clinic staff and never
 * contain patient data; `fields` points at the form inputs that need attention.
 */
export const ERROR_CODES = [
  'VALIDATION',
  'UNKNOWN_COMMAND',
  'FORBIDDEN_SENDER',
  'NOT_SIGNED_IN',
  'NOT_ALLOWED',
  'NOT_SET_UP',
  'ALREADY_SET_UP',
  'WRONG_CREDENTIALS',
  'TOO_MANY_ATTEMPTS',
  'WEAK_PASSWORD',
  'NOT_FOUND',
  'CONFLICT',
  'STALE',
  'STORE_LOCKED',
  'STORE_WRONG_KEY',
  'STORE_NOT_ENCRYPTED',
  'STORE_CORRUPT',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldIssue {
  /** Dotted path of the input, e.g. `phones.0.number`. */
  path: string;
  message: string;
}

export interface AppErrorShape {
  code: ErrorCode;
  message: string;
  fields?: FieldIssue[];
}

/** A failure the caller can react to; serialised as `{ code, message, fields }`. */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: FieldIssue[],
  ) {
    super(message);
  }

  toJSON(): AppErrorShape {
    return this.fields
      ? { code: this.code, message: this.message, fields: this.fields }
      : { code: this.code, message: this.message };
  }

  static from(shape: AppErrorShape): AppError {
    return new AppError(shape.code, shape.message, shape.fields);
  }

  /** Message plus the fields at fault, for logs of tests and tools (never shown with values). */
  describe(): string {
    return this.fields?.length
      ? `${this.message} ${this.fields.map((f) => `[${f.path}: ${f.message}]`).join(' ')}`
      : this.message;
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppErrorShape };

export function isErrorShape(value: unknown): value is AppErrorShape {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (ERROR_CODES as readonly string[]).includes((value as { code: string }).code) &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}
