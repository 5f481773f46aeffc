/**
 * Standard base64 (RFC 4648, with padding) over Uint8Array, for code that must run without Node's
 * Buffer. Decoding is strict: it refuses characters outside the alphabet, missing padding and
 * non-zero trailing bits, so one byte string has exactly one accepted text form and a signature
 * over decoded bytes cannot be replayed with a re-encoded payload.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export class Base64Error extends Error {
  override readonly name = 'Base64Error';
}

/** Whether `decodeBase64` would accept the text, without allocating the bytes. */
export function isCanonicalBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const end = text.length - padding;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || LOOKUP[code]! < 0) return false;
  }
  if (padding === 2) return (LOOKUP[text.charCodeAt(end - 1)]! & 15) === 0;
  if (padding === 1) return (LOOKUP[text.charCodeAt(end - 1)]! & 3) === 0;
  return true;
}

/** Bytes a base64 text of this length decodes to (the text must be well formed). */
export function decodedLength(text: string): number {
  if (text.length === 0) return 0;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      ALPHABET[(n >> 18) & 63]! +
      ALPHABET[(n >> 12) & 63]! +
      ALPHABET[(n >> 6) & 63]! +
      ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index);
  const value = code < 128 ? LOOKUP[code]! : -1;
  if (value < 0) throw new Base64Error('Not valid base64');
  return value;
}

export function decodeBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new Base64Error('Not valid base64: length');
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array(decodedLength(text));
  const fullQuads = text.length / 4 - (padding > 0 ? 1 : 0);
  let o = 0;
  for (let q = 0; q < fullQuads; q++) {
    const p = q * 4;
    const n =
      (sextet(text, p) << 18) |
      (sextet(text, p + 1) << 12) |
      (sextet(text, p + 2) << 6) |
      sextet(text, p + 3);
    out[o++] = (n >> 16) & 255;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  if (padding > 0) {
    const p = fullQuads * 4;
    const a = sextet(text, p);
    const b = sextet(text, p + 1);
    if (padding === 2) {
      if ((b & 15) !== 0) throw new Base64Error('Not valid base64: trailing bits');
      out[o] = ((a << 2) | (b >> 4)) & 255;
    } else {
      const c = sextet(text, p + 2);
      if ((c & 3) !== 0) throw new Base64Error('Not valid base64: trailing bits');
      out[o] = ((a << 2) | (b >> 4)) & 255;
      out[o + 1] = ((b << 4) | (c >> 2)) & 255;
    }
  }
  return out;
}
