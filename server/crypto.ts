import crypto from 'node:crypto';
import type { Ed25519Verifier, Sha256 } from '../shared/sync/crypto';

/** DER prefix that turns a raw 32-byte Ed25519 public key into an SPKI key node:crypto accepts. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The relay's side of the protocol's cryptography: it only hashes and verifies. */
export const relayCrypto: Sha256 & Ed25519Verifier = {
  sha256: (data) => crypto.hash('sha256', data, 'buffer'),
  verifyDetached(signature, message, publicKey) {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    try {
      const key = crypto.createPublicKey({
        key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]),
        format: 'der',
        type: 'spki',
      });
      return crypto.verify(null, message, key, signature);
    } catch {
      // A public key that is not a curve point cannot have made any signature.
      return false;
    }
  },
};

export function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}
