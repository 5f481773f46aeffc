import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * UUIDv7 ids for bulk writes: the same layout as `uuid`'s v7 (48-bit milliseconds, a monotonic
 * sequence within a millisecond, random tail), with random bytes drawn from a pooled buffer, since
 * one `getRandomValues` call per id costs more than writing the row.
 */
export function bulkIdFactory(now: () => number = Date.now): () => string {
  const pool = Buffer.alloc(16 * 1024);
  let at = pool.length;
  let msecs = -Infinity;
  let seq = 0;
  return () => {
    if (at + 10 > pool.length) {
      randomFillSync(pool);
      at = 0;
    }
    const t = now();
    if (t > msecs) {
      msecs = t;
      // Start each millisecond at a random point in the lower half, as uuid does, leaving room.
      seq =
        ((pool[at]! & 0x7f) << 24) | (pool[at + 1]! << 16) | (pool[at + 2]! << 8) | pool[at + 3]!;
      at += 4;
    } else {
      seq = (seq + 1) | 0;
      if (seq === 0) msecs += 1;
    }
    const b0 = (msecs / 0x10000000000) & 0xff;
    const b1 = (msecs / 0x100000000) & 0xff;
    const b2 = (msecs / 0x1000000) & 0xff;
    const b3 = (msecs / 0x10000) & 0xff;
    const b4 = (msecs / 0x100) & 0xff;
    const b5 = msecs & 0xff;
    const b6 = 0x70 | ((seq >>> 28) & 0x0f);
    const b7 = (seq >>> 20) & 0xff;
    const b8 = 0x80 | ((seq >>> 14) & 0x3f);
    const b9 = (seq >>> 6) & 0xff;
    const b10 = ((seq << 2) & 0xff) | (pool[at]! & 0x03);
    const id =
      HEX[b0]! +
      HEX[b1]! +
      HEX[b2]! +
      HEX[b3]! +
      '-' +
      HEX[b4]! +
      HEX[b5]! +
      '-' +
      HEX[b6]! +
      HEX[b7]! +
      '-' +
      HEX[b8]! +
      HEX[b9]! +
      '-' +
      HEX[b10]! +
      HEX[pool[at + 1]!]! +
      HEX[pool[at + 2]!]! +
      HEX[pool[at + 3]!]! +
      HEX[pool[at + 4]!]! +
      HEX[pool[at + 5]!]!;
    at += 6;
    return id;
  };
}
