import type { RelayErrorBody, RelayErrorCode } from '../shared/sync/protocol';
import { RelayError } from './errors';

/** Fastify's own refusals, reworded: their messages may quote the body (JSON parse errors do). */
const FASTIFY_ERRORS: Record<string, { status: number; code: RelayErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'BODY_TOO_LARGE',
    message: 'The request body is larger than this endpoint accepts',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Send the body as application/json',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'VALIDATION',
    message: 'The request body is empty; send a JSON object',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'VALIDATION',
    message: 'The request body is not valid JSON',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'VALIDATION',
    message: 'The Content-Length header does not match the body',
  },
  FST_ERR_BAD_URL: { status: 400, code: 'VALIDATION', message: 'The URL is not valid' },
};

export interface HttpRefusal {
  status: number;
  body: RelayErrorBody;
}

/** Turns anything thrown while serving a request into a status and `{ error: { code, message } }`. */
export function refusalOf(error: unknown): HttpRefusal {
  if (error instanceof RelayError) return { status: error.status, body: error.toBody() };
  const e = (error ?? {}) as { code?: unknown; statusCode?: unknown };
  const known = typeof e.code === 'string' ? FASTIFY_ERRORS[e.code] : undefined;
  if (known)
    return { status: known.status, body: { error: { code: known.code, message: known.message } } };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 429)
    return {
      status,
      body: { error: { code: 'RATE_LIMITED', message: 'Too many requests; wait and try again' } },
    };
  if (error instanceof SyntaxError || (status >= 400 && status < 500))
    return {
      status: status >= 400 && status < 500 ? status : 400,
      body: { error: { code: 'VALIDATION', message: 'The request could not be read' } },
    };
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'The relay could not complete the request' } },
  };
}
