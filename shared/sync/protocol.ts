import { z } from 'zod';
import { decodedLength, isCanonicalBase64 } from './base64';

/**
 * The wire format between workstations and the relay (version 1). A message is one row change:
 * a clear header the relay can route and index, and a payload sealed with XChaCha20-Poly1305
 * under a clinic-held key, with `canonicalHeader(header)` as associated data so the relay (or
 * anyone) cannot re-stamp, renumber or move a message without the recipient noticing.
 * docs/sync-protocol.md describes the protocol as a whole.
 */
export const SYNC_PROTOCOL_VERSION = 1;

export const SYNC_LIMITS = {
  /** A pull page, serialised as JSON, never exceeds this many bytes. */
  pageBytes: 1024 * 1024,
  /** Most messages in one pull page. */
  pageMessages: 1000,
  /** A sealed payload (nonce, ciphertext and tag), decoded. */
  payloadBytes: 64 * 1024,
  /** Smallest sealed payload: a 24-byte nonce and a 16-byte tag around an empty plaintext. */
  sealedOverheadBytes: 24 + 16,
  /** Most messages in one push batch. */
  batchMessages: 1000,
  /** A push request body, in bytes. Clients split their outbox to stay under it. */
  batchBytes: 4 * 1024 * 1024,
  /** Every other request body, in bytes. */
  requestBytes: 64 * 1024,
} as const;

/** A change stamped further ahead of the relay's clock than this is refused (CLOCK_SKEW). */
export const MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000;
/** Bearer tokens live this long; clients fetch a new one with a fresh challenge. */
export const TOKEN_TTL_MS = 15 * 60 * 1000;
/** A challenge nonce must be signed and exchanged within this time. */
export const CHALLENGE_TTL_MS = 60 * 1000;
/** An enrolment request waits this long for an administrator's approval. */
export const ENROLMENT_TTL_MS = 15 * 60 * 1000;
/** Response header carrying the relay's clock (epoch ms), from which clients learn their offset. */
export const SERVER_TIME_HEADER = 'x-enamel-server-time';

const idPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** Organisation, clinic and device ids: also usable as an HLC node id. */
export const syncId = z.string().regex(idPattern, 'Must be 1-64 letters, digits, "-" or "_"');
export const rowId = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'Must be 1-128 letters, digits, ".", ":", "-" or "_"');
export const tableName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'Must be a lower-case table name (letters, digits, "_")');
export const keyId = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'Must be 1-64 letters, digits, ".", ":", "-" or "_"');
/** `shared/hlc.ts` encoding: 12 hex digits of milliseconds, 4 of counter, then the node id. */
export const hlcText = z
  .string()
  .regex(
    /^[0-9a-f]{12}-[0-9a-f]{4}-[0-9a-zA-Z_-]{1,64}$/,
    'Must be a hybrid logical clock timestamp',
  );
export const bucketId = z
  .string()
  .regex(/^(clinic|org)\.[A-Za-z0-9_-]{1,64}$/, 'Must be "clinic.<id>" or "org.<id>"');
export const sequenceNumber = z.int().min(1).max(Number.MAX_SAFE_INTEGER);
/** Pairing codes are chosen by the new workstation: at least 10 characters (50 bits) of A-Z0-9. */
export const pairingCode = z
  .string()
  .regex(/^[0-9A-Z]{10,16}$/, 'Must be 10-16 upper-case letters or digits');
export const deviceName = z
  .string()
  .regex(/^[^\p{Cc}]{1,100}$/u, 'Must be 1-100 characters with no control characters')
  .refine((s) => s.trim() === s, 'Must not start or end with spaces');

/** Base64 text whose decoded length lies in [min, max]. */
export function base64Bytes(min: number, max: number, what: string) {
  return z
    .string()
    .max(Math.ceil(max / 3) * 4, `${what} is too large`)
    .refine(isCanonicalBase64, `${what} must be base64`)
    .refine((s) => decodedLength(s) >= min && decodedLength(s) <= max, {
      message: min === max ? `${what} must be ${min} bytes` : `${what} must be ${min}-${max} bytes`,
    });
}

export const publicKey = base64Bytes(32, 32, 'A public key');
export const signatureText = base64Bytes(64, 64, 'A signature');

export function clinicBucketId(clinic: string): string {
  return `clinic.${clinic}`;
}
export function organisationBucketId(organisation: string): string {
  return `org.${organisation}`;
}

export const MESSAGE_OPS = ['upsert', 'delete', 'shred'] as const;
export type MessageOp = (typeof MESSAGE_OPS)[number];

export const messageHeader = z
  .strictObject({
    v: z.literal(SYNC_PROTOCOL_VERSION),
    bucket: bucketId,
    device: syncId,
    /** This device's own order of changes across all buckets, from 1, without gaps. */
    deviceSeq: sequenceNumber,
    hlc: hlcText,
    table: tableName,
    rowId,
    /** Patient the row belongs to, or null for clinic-wide rows. */
    subject: rowId.nullable(),
    op: z.enum(MESSAGE_OPS),
    /** Client schema version that wrote the change; newer ones are quarantined by readers. */
    schema: z.int().min(1).max(65_535),
    /** Which key sealed the payload (clinic key epoch or a patient data key). */
    keyId,
  })
  .refine((h) => h.op !== 'shred' || h.subject !== null, {
    message: 'A shred must name its subject',
    path: ['subject'],
  });
export type MessageHeader = z.infer<typeof messageHeader>;

export const syncMessage = z.strictObject({
  header: messageHeader,
  /** base64 of nonce (24 bytes) followed by the XChaCha20-Poly1305 ciphertext and tag. */
  payload: base64Bytes(SYNC_LIMITS.sealedOverheadBytes, SYNC_LIMITS.payloadBytes, 'A payload'),
});
export type SyncMessage = z.infer<typeof syncMessage>;

export const pushBatch = z.strictObject({
  device: syncId,
  messages: z
    .array(syncMessage)
    .min(1, 'A batch holds at least one message')
    .max(SYNC_LIMITS.batchMessages, `A batch holds at most ${SYNC_LIMITS.batchMessages} messages`),
  /** Ed25519 signature by the device over `canonicalBatch(device, messages)`. */
  signature: signatureText,
});
export type PushBatch = z.infer<typeof pushBatch>;

/** Why one message of a batch was not stored; the rest of the batch is unaffected. */
export const REJECTION_CODES = [
  /** The header names another bucket than the one pushed to. */
  'WRONG_BUCKET',
  /** The header names another device than the one that signed the batch. */
  'WRONG_DEVICE',
  /** The HLC timestamp is more than 5 minutes ahead of the relay's clock. */
  'CLOCK_SKEW',
  /** This device sequence number was already used for a different message. */
  'SEQ_REUSED',
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

export interface MessageRejection {
  deviceSeq: number;
  code: RejectionCode;
  message: string;
}

/**
 * Answer to a push. `accepted` lists every device sequence number of the batch that the relay now
 * holds (including ones it already held, so a repeated push gets the same answer, and changes to
 * a shredded subject, which are acknowledged but discarded). `highestContiguousSeq` is the
 * highest N such that this device's messages 1..N are all settled: the client may forget them.
 */
export interface PushResult {
  highestContiguousSeq: number;
  accepted: number[];
  rejected: MessageRejection[];
}

export const cursorText = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,14})$/, 'Must be a cursor returned by an earlier pull, or 0');

export const pullQuery = z.strictObject({
  after: cursorText.default('0'),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/, 'Must be a whole number from 1')
    .transform(Number)
    .pipe(z.int().max(SYNC_LIMITS.pageMessages, `At most ${SYNC_LIMITS.pageMessages}`))
    .optional(),
});

export interface PulledMessage {
  /** Position in the bucket's log; increases with every accepted message. */
  serverSeq: number;
  header: MessageHeader;
  payload: string;
}

/**
 * One page of a bucket's log after a cursor. `checksum` is `pageChecksum` of `messages` (hex
 * SHA-256); `more` says a further pull would return more; `nextCursor` is the cursor to ask from.
 */
export interface PullPage {
  messages: PulledMessage[];
  nextCursor: string;
  checksum: string;
  more: boolean;
}

export const challengeRequest = z.strictObject({ device: syncId });
export interface ChallengeResponse {
  /** base64 of 32 random bytes; single use. */
  nonce: string;
  expiresAt: number;
}

export const tokenRequest = z.strictObject({
  device: syncId,
  nonce: base64Bytes(32, 32, 'A nonce'),
  /** Ed25519 signature over `authChallengeBytes(device, nonce)`. */
  signature: signatureText,
});
export interface TokenResponse {
  token: string;
  expiresAt: number;
  serverTime: number;
}

const newDevice = z.strictObject({
  id: syncId,
  name: deviceName,
  /** Ed25519 public key that signs batches and challenges. */
  signingKey: publicKey,
  /** X25519 public key that clinic keys are sealed to. */
  boxKey: publicKey,
});

export const clinicBootstrap = z.strictObject({
  organisation: syncId,
  clinic: syncId,
  device: newDevice,
});
export type ClinicBootstrap = z.infer<typeof clinicBootstrap>;

export const DEVICE_STATUSES = ['active', 'revoked'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

export interface DeviceInfo {
  id: string;
  clinic: string;
  name: string;
  status: DeviceStatus;
  signingKey: string;
  boxKey: string;
  createdAt: number;
  lastSeen: number | null;
  revokedAt: number | null;
}

export interface ClinicBootstrapResult {
  organisation: string;
  clinic: string;
  buckets: { clinic: string; organisation: string };
  device: DeviceInfo;
}

export const enrolmentRequest = z.strictObject({
  code: pairingCode,
  clinic: syncId,
  device: newDevice,
});
export type EnrolmentRequest = z.infer<typeof enrolmentRequest>;

export interface EnrolmentCreated {
  code: string;
  fingerprint: string;
  expiresAt: number;
}

export type EnrolmentStatus = 'pending' | 'approved' | 'expired';

/** What an administrator's workstation sees before approving: it recomputes the fingerprint. */
export interface EnrolmentView {
  code: string;
  clinic: string;
  device: { id: string; name: string };
  signingKey: string;
  boxKey: string;
  fingerprint: string;
  status: EnrolmentStatus;
  expiresAt: number;
}

export const enrolmentApproval = z.strictObject({
  /** The clinic key sealed (crypto_box_seal) to the new device's box key. */
  sealedClinicKey: base64Bytes(48, 1024, 'A sealed key'),
  keyId,
});
export type EnrolmentApproval = z.infer<typeof enrolmentApproval>;

export type EnrolmentResult =
  | { status: 'pending' | 'expired'; expiresAt: number }
  | {
      status: 'approved';
      expiresAt: number;
      sealedClinicKey: string;
      keyId: string;
      clinic: string;
      buckets: { clinic: string; organisation: string };
    };

/** Codes of whole-request failures: `{ error: { code, message } }` with a 4xx or 5xx status. */
export const RELAY_ERROR_CODES = [
  'VALIDATION',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'NOT_FOUND',
  'UNAUTHENTICATED',
  'TOKEN_EXPIRED',
  'BAD_SIGNATURE',
  'DEVICE_REVOKED',
  'FORBIDDEN',
  'FORBIDDEN_BUCKET',
  'WRONG_DEVICE',
  'CONFLICT',
  'EXPIRED',
  'TOO_MANY_PENDING',
  'RATE_LIMITED',
  'SHUTTING_DOWN',
  'INTERNAL',
] as const;
export type RelayErrorCode = (typeof RELAY_ERROR_CODES)[number];

export interface RelayErrorBody {
  error: { code: RelayErrorCode; message: string };
}

/** Server-Sent Event data of a poke: the bucket has messages up to `serverSeq`. */
export interface PokeEvent {
  bucket: string;
  serverSeq: number;
}
export { canonicalHeader, canonicalBatch } from './canonical';
