import { decodedLength, isCanonicalBase64 } from '../../shared/sync/base64';
import {
  MESSAGE_OPS,
  pushBatch,
  SYNC_LIMITS,
  SYNC_PROTOCOL_VERSION,
  type PushBatch,
} from '../../shared/sync/protocol';
import { parseInput } from '../errors';

/*
 * The rules of `pushBatch` (shared/sync/protocol.ts), checked by hand. A push carries up to 1,000
 * messages and zod spends several microseconds on each; this accepts only what the schema accepts
 * and hands anything else to the schema itself, which then refuses it with its own messages (or,
 * should this be stricter than the schema somewhere, accepts it). tests/unit/server pins the two
 * together.
 */
const SYNC_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ROW_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const TABLE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const KEY_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const HLC = /^[0-9a-f]{12}-[0-9a-f]{4}-[0-9a-zA-Z_-]{1,64}$/;
const BUCKET_ID = /^(clinic|org)\.[A-Za-z0-9_-]{1,64}$/;

const BATCH_KEYS = new Set(['device', 'messages', 'signature']);
const MESSAGE_KEYS = new Set(['header', 'payload']);
const HEADER_KEYS = new Set([
  'v',
  'bucket',
  'device',
  'deviceSeq',
  'hlc',
  'table',
  'rowId',
  'subject',
  'op',
  'schema',
  'keyId',
]);
const OPS: ReadonlySet<unknown> = new Set(MESSAGE_OPS);
const MAX_PAYLOAD_TEXT = Math.ceil(SYNC_LIMITS.payloadBytes / 3) * 4;
const MAX_SIGNATURE_TEXT = Math.ceil(64 / 3) * 4;

type Fields = Record<string, unknown>;

/** A plain object whose enumerable keys are exactly `keys`, as a strict zod object wants. */
function isExactly(value: unknown, keys: ReadonlySet<string>): value is Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  let count = 0;
  for (const key in value) {
    if (!keys.has(key)) return false;
    count += 1;
  }
  return count === keys.size;
}

const matches = (value: unknown, pattern: RegExp) =>
  typeof value === 'string' && pattern.test(value);

const isIntIn = (value: unknown, min: number, max: number) =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;

function isBase64Of(value: unknown, maxText: number, min: number, max: number): boolean {
  if (typeof value !== 'string' || value.length > maxText || !isCanonicalBase64(value))
    return false;
  const bytes = decodedLength(value);
  return bytes >= min && bytes <= max;
}

function isHeader(h: unknown): boolean {
  return (
    isExactly(h, HEADER_KEYS) &&
    h.v === SYNC_PROTOCOL_VERSION &&
    matches(h.bucket, BUCKET_ID) &&
    matches(h.device, SYNC_ID) &&
    isIntIn(h.deviceSeq, 1, Number.MAX_SAFE_INTEGER) &&
    matches(h.hlc, HLC) &&
    matches(h.table, TABLE_NAME) &&
    matches(h.rowId, ROW_ID) &&
    (h.subject === null || matches(h.subject, ROW_ID)) &&
    OPS.has(h.op) &&
    isIntIn(h.schema, 1, 65_535) &&
    matches(h.keyId, KEY_ID) &&
    (h.op !== 'shred' || h.subject !== null)
  );
}

function isMessage(m: unknown): boolean {
  return (
    isExactly(m, MESSAGE_KEYS) &&
    isHeader(m.header) &&
    isBase64Of(
      m.payload,
      MAX_PAYLOAD_TEXT,
      SYNC_LIMITS.sealedOverheadBytes,
      SYNC_LIMITS.payloadBytes,
    )
  );
}

/** Whether `pushBatch` would accept the body unchanged. */
export function isPushBatch(body: unknown): body is PushBatch {
  if (!isExactly(body, BATCH_KEYS)) return false;
  const messages = body.messages;
  if (
    !matches(body.device, SYNC_ID) ||
    !Array.isArray(messages) ||
    messages.length < 1 ||
    messages.length > SYNC_LIMITS.batchMessages ||
    !isBase64Of(body.signature, MAX_SIGNATURE_TEXT, 64, 64)
  )
    return false;
  // Indices, not `every`, which would pass over holes the schema checks.
  for (let i = 0; i < messages.length; i++) if (!isMessage(messages[i])) return false;
  return true;
}

/** A push body as `pushBatch`, or a 400 VALIDATION naming the fields at fault. */
export function readPushBatch(body: unknown): PushBatch {
  return isPushBatch(body) ? body : parseInput(pushBatch, body, 'batch');
}
