import { pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip, createInflateRaw } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { DEFLATE_DICTIONARY_ENCODING, PUSH_DICTIONARY } from '../shared/sync/compression';
import { SYNC_LIMITS } from '../shared/sync/protocol';
import { RelayError } from './errors';

const DICTIONARY = Buffer.from(PUSH_DICTIONARY, 'utf8');

/** Counts bytes through, and refuses more than `limit` of them. */
function counter(limit: number, onCount: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      onCount(total);
      if (total > limit)
        done(
          new RelayError(
            413,
            'BODY_TOO_LARGE',
            'The request body is larger than this endpoint accepts',
          ),
        );
      else done(null, chunk);
    },
  });
}

/**
 * Request bodies sent with `Content-Encoding: gzip` or `x-enamel-deflate-1`
 * (shared/sync/compression.ts) are inflated before parsing. The route's body limit applies to the
 * inflated bytes (and to the bytes received): inflating stops at the limit, so a small body that
 * inflates to gigabytes (a zip bomb) costs no more than an honest one at the limit. Other
 * encodings are refused (415).
 */
export function registerCompression(app: FastifyInstance): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const header = request.headers['content-encoding'];
    const encoding = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .trim()
      .toLowerCase();
    if (encoding === '' || encoding === 'identity') return payload;
    const inflate =
      encoding === 'gzip'
        ? createGunzip()
        : encoding === DEFLATE_DICTIONARY_ENCODING
          ? createInflateRaw({ dictionary: DICTIONARY })
          : null;
    if (!inflate)
      throw new RelayError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `Send the body as it is, or with Content-Encoding gzip or ${DEFLATE_DICTIONARY_ENCODING}`,
      );
    const limit = request.routeOptions.bodyLimit ?? SYNC_LIMITS.requestBytes;
    const inflated = counter(limit, () => undefined) as Transform & {
      receivedEncodedLength?: number;
    };
    // Fastify compares this with Content-Length, and with the limit, as bytes arrive.
    inflated.receivedEncodedLength = 0;
    const received = counter(limit, (total) => (inflated.receivedEncodedLength = total));
    pipeline(payload as Readable, received, inflate, inflated, () => {
      // An error (a damaged body, the limit) reaches Fastify through `inflated`.
    });
    return inflated;
  });
}
