import crypto from 'node:crypto';

export type TokenCheck =
  { ok: true; device: string; expiresAt: number } | { ok: false; reason: 'invalid' | 'expired' };

/**
 * Short-lived bearer tokens: `base64url(JSON {d: device, x: expiry, n: nonce}).base64url(HMAC)`.
 * Stateless, so any relay process sharing the secret accepts them; revocation still takes effect
 * at once because every request re-reads the device's status.
 */
export class TokenKeeper {
  private readonly secret: Buffer;

  constructor(
    secret: Uint8Array | undefined,
    private readonly ttlMs: number,
  ) {
    this.secret = secret ? Buffer.from(secret) : crypto.randomBytes(32);
  }

  private mac(body: string): Buffer {
    return crypto.createHmac('sha256', this.secret).update(body).digest();
  }

  issue(device: string, now: number): { token: string; expiresAt: number } {
    const expiresAt = now + this.ttlMs;
    const body = Buffer.from(
      JSON.stringify({ d: device, x: expiresAt, n: crypto.randomBytes(8).toString('hex') }),
    ).toString('base64url');
    return { token: `${body}.${this.mac(body).toString('base64url')}`, expiresAt };
  }

  check(token: string, now: number): TokenCheck {
    const parts = token.split('.');
    if (parts.length !== 2 || token.length > 512) return { ok: false, reason: 'invalid' };
    const [body, mac] = parts as [string, string];
    const expected = this.mac(body);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected))
      return { ok: false, reason: 'invalid' };
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    const { d, x } = (claims ?? {}) as { d?: unknown; x?: unknown };
    if (typeof d !== 'string' || typeof x !== 'number') return { ok: false, reason: 'invalid' };
    if (x <= now) return { ok: false, reason: 'expired' };
    return { ok: true, device: d, expiresAt: x };
  }
}
