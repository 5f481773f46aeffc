import type { RelayStore } from './db/store';
import type { PokeHub } from './pokes';
import type { PushQueue } from './services/push';
import type { TokenKeeper } from './tokens';

/** What every route and service of one relay instance shares. */
export interface RelayContext {
  store: RelayStore;
  /** Epoch milliseconds; tests move it to expire tokens and test clock skew. */
  now(): number;
  tokens: TokenKeeper;
  pokes: PokeHub;
  /** Verified batches waiting for the transaction that accepts them (group commit). */
  pushes: PushQueue;
  /** When set, creating a clinic needs it in the `x-enamel-setup-secret` header. */
  setupSecret: string | null;
}
