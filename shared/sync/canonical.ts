import type { MessageHeader, MessageOp } from './protocol';
import { utf8Encoder } from './utf8';

/**
 * Deterministic byte encodings for what gets sealed, signed and hashed. JSON is not used because
 * key order, number formatting and escapes vary between encoders; here every field has a fixed
 * position, integers are big-endian of fixed width and strings are UTF-8 with a 32-bit length
 * prefix, so two different values never encode to the same bytes. Each encoding starts with its
 * own label, so a signature made for one purpose cannot be passed off as another.
 */
export const CANONICAL_LABELS = {
  header: 'enamel/sync/header/v1',
  batch: 'enamel/sync/batch/v1',
  auth: 'enamel/sync/auth/v1',
  page: 'enamel/sync/page/v1',
  receipt: 'enamel/sync/receipt/v1',
  fingerprint: 'enamel/sync/enrol/v1',
} as const;

const OP_CODES: Record<MessageOp, number> = { upsert: 1, delete: 2, shred: 3 };
const TWO_32 = 2 ** 32;

/**
 * Appends fixed-width integers and length-prefixed fields into one growing buffer. The relay
 * encodes every header of every batch twice (signature, receipt digest), so this writes in place
 * rather than collecting small arrays.
 */
export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(capacity = 256) {
    this.buffer = new Uint8Array(capacity);
    this.view = new DataView(this.buffer.buffer);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  u8(n: number): this {
    this.reserve(1);
    this.buffer[this.length++] = n & 0xff;
    return this;
  }

  u16(n: number): this {
    this.reserve(2);
    this.view.setUint16(this.length, n & 0xffff);
    this.length += 2;
    return this;
  }

  u32(n: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, n >>> 0);
    this.length += 4;
    return this;
  }

  /** Non-negative safe integers only (below 2^53). */
  u64(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('Not a non-negative safe integer');
    this.reserve(8);
    this.view.setUint32(this.length, Math.floor(n / TWO_32));
    this.view.setUint32(this.length + 4, n % TWO_32);
    this.length += 8;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.u32(data.length);
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  text(value: string): this {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    this.reserve(4 + value.length * 3);
    const start = this.length + 4;
    const { written } = utf8Encoder.encodeInto(value, this.buffer.subarray(start));
    this.view.setUint32(this.length, written);
    this.length = start + written;
    return this;
  }

  /** Writes what `write` appends as one length-prefixed field, without copying it. */
  nested(write: (w: this) => void): this {
    this.reserve(4);
    const at = this.length;
    this.length += 4;
    write(this);
    this.view.setUint32(at, this.length - at - 4);
    return this;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

function writeHeader(w: ByteWriter, h: MessageHeader): ByteWriter {
  w.text(CANONICAL_LABELS.header)
    .u16(h.v)
    .text(h.bucket)
    .text(h.device)
    .u64(h.deviceSeq)
    .text(h.hlc)
    .text(h.table)
    .text(h.rowId);
  if (h.subject === null) w.u8(0);
  else w.u8(1).text(h.subject);
  return w.u8(OP_CODES[h.op]).u32(h.schema).text(h.keyId);
}

/**
 * The associated data of a message's payload: every header field in a fixed order.
 *
 * @example
 * const ad = canonicalHeader(message.header);
 * const plaintext = aead.decrypt(ciphertext, ad, nonce, key); // fails if any header field moved
 */
export function canonicalHeader(header: MessageHeader): Uint8Array {
  return writeHeader(new ByteWriter(), header).finish();
}

/** A message with its payload already decoded from base64. */
export interface DecodedMessage {
  header: MessageHeader;
  payload: Uint8Array;
}

/** What a device signs when it pushes: its id, then each header and payload in batch order. */
export function canonicalBatch(device: string, messages: readonly DecodedMessage[]): Uint8Array {
  const size = messages.reduce((n, m) => n + 512 + m.payload.length, 64);
  const w = new ByteWriter(size).text(CANONICAL_LABELS.batch).text(device).u32(messages.length);
  for (const m of messages) w.nested((inner) => writeHeader(inner, m.header)).bytes(m.payload);
  return w.finish();
}

/** What a device signs to prove it holds its key when asking for a token. */
export function authChallengeBytes(device: string, nonce: Uint8Array): Uint8Array {
  return new ByteWriter().text(CANONICAL_LABELS.auth).text(device).bytes(nonce).finish();
}

/** Input of a pull page's checksum: each message's server sequence, header and payload. */
export function pageChecksumBytes(
  messages: ReadonlyArray<DecodedMessage & { serverSeq: number }>,
): Uint8Array {
  const size = messages.reduce((n, m) => n + 512 + m.payload.length, 64);
  const w = new ByteWriter(size).text(CANONICAL_LABELS.page).u32(messages.length);
  for (const m of messages)
    w.u64(m.serverSeq)
      .nested((inner) => writeHeader(inner, m.header))
      .bytes(m.payload);
  return w.finish();
}

/** Input of the digest the relay keeps per (device, deviceSeq) to recognise a repeated push. */
export function receiptBytes(message: DecodedMessage): Uint8Array {
  return new ByteWriter(512 + message.payload.length)
    .text(CANONICAL_LABELS.receipt)
    .nested((inner) => writeHeader(inner, message.header))
    .bytes(message.payload)
    .finish();
}

/** Input of an enrolment fingerprint: both public keys of the new workstation. */
export function fingerprintBytes(signingKey: Uint8Array, boxKey: Uint8Array): Uint8Array {
  return new ByteWriter()
    .text(CANONICAL_LABELS.fingerprint)
    .bytes(signingKey)
    .bytes(boxKey)
    .finish();
}
