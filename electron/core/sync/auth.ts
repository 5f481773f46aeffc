import type { SyncCrypto } from './crypto';
import { RelayRefusal, type RelayTransport } from './transport';

/** Refresh a token this long before it expires, so a request never carries a dying one. */
const EARLY_MS = 60_000;

/**
 * A workstation's bearer token: fetched by signing the relay's challenge with the device's
 * Ed25519 key, renewed before it expires and once more when the relay says it is no longer valid.
 */
export class RelayAuth {
  private token: { value: string; expiresAt: number } | null = null;

  constructor(
    readonly transport: RelayTransport,
    private readonly device: string,
    private readonly signingSecret: Uint8Array,
    private readonly crypto: SyncCrypto,
    private readonly now: () => number,
  ) {}

  private async fresh(): Promise<string> {
    const answer = await this.transport.signIn(this.device, this.signingSecret, this.crypto);
    // The relay's expiry is on its clock; keep ours relative to when it answered.
    this.token = {
      value: answer.token,
      expiresAt: this.now() + (answer.expiresAt - answer.serverTime),
    };
    return answer.token;
  }

  async run<T>(fn: (token: string) => Promise<T>): Promise<T> {
    const token =
      this.token && this.token.expiresAt - this.now() > EARLY_MS
        ? this.token.value
        : await this.fresh();
    try {
      return await fn(token);
    } catch (error) {
      if (error instanceof RelayRefusal && error.status === 401) {
        this.token = null;
        return fn(await this.fresh());
      }
      throw error;
    }
  }

  forget(): void {
    this.token = null;
  }
}
