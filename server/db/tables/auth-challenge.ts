import type { Insertable, Selectable } from 'kysely';

/** A single-use nonce a device must sign to get a token. Kept in the store so any relay process can redeem it. */
export interface AuthChallengeTable {
  nonce: string;
  device_id: string;
  expires_at: number;
}
export type AuthChallengeRow = Selectable<AuthChallengeTable>;
export type NewAuthChallenge = Insertable<AuthChallengeTable>;
