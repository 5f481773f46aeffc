import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import { writeFileAtomic } from './crypto/atomic-file';
import { log } from './log';

/**
 * Sign-in throttling, per username: the first few failures cost nothing, then each failure makes
 * the next attempt wait twice as long, and after many the username is locked out for a while. The
 * state survives a restart in a small file in the data folder that holds no names: usernames are
 * stored as a keyed hash, and unknown usernames are counted exactly like real ones, so the answers
 * (and their timing) never tell whether an account exists.
 */
export interface ThrottlePolicy {
  /** Failures allowed before any wait. */
  freeFailures: number;
  /** The wait after the first failure beyond the free ones; doubles with each further failure. */
  firstDelayMs: number;
  /** Failures after which the username is locked out. */
  lockoutAfter: number;
  lockoutMs: number;
  /** A username's failures are forgotten this long after the last one. */
  forgetAfterMs: number;
}

export const SIGN_IN_POLICY: ThrottlePolicy = {
  freeFailures: 3,
  firstDelayMs: 1000,
  lockoutAfter: 10,
  lockoutMs: 15 * 60 * 1000,
  forgetAfterMs: 24 * 60 * 60 * 1000,
};

const stateFile = z.object({
  version: z.literal(1),
  /** Keys the username hashes to this installation, so the hashes cannot be looked up elsewhere. */
  salt: z.string().regex(/^[0-9a-f]{64}$/),
  attempts: z.record(
    z.string().regex(/^[0-9a-f]{64}$/),
    z.object({
      failures: z.number().int().min(1).max(1_000_000),
      lastFailureAt: z.number().int().min(0),
    }),
  ),
});
type State = z.infer<typeof stateFile>;

/** When the next attempt is allowed after `failures` failures, the last at `lastFailureAt`. */
export function nextAttemptAt(
  failures: number,
  lastFailureAt: number,
  policy: ThrottlePolicy = SIGN_IN_POLICY,
): number {
  if (failures >= policy.lockoutAfter) return lastFailureAt + policy.lockoutMs;
  if (failures < policy.freeFailures) return lastFailureAt;
  return lastFailureAt + policy.firstDelayMs * 2 ** (failures - policy.freeFailures);
}

/** "3 seconds", "15 minutes": rounded up, so waiting the time said is always enough. */
export function describeWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 120) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

export class SignInThrottle {
  private state: State | null = null;

  constructor(
    private readonly file: string,
    private readonly now: () => number,
    private readonly policy: ThrottlePolicy = SIGN_IN_POLICY,
  ) {}

  /** Throws TOO_MANY_ATTEMPTS, saying when to try again, if `username` must wait. */
  check(username: string): void {
    const state = this.load();
    const entry = state.attempts[this.hash(state, username)];
    if (!entry) return;
    const now = this.now();
    const retryAt = nextAttemptAt(entry.failures, entry.lastFailureAt, this.policy);
    if (now >= retryAt) return;
    const wait = describeWait(retryAt - now);
    throw new AppError(
      'TOO_MANY_ATTEMPTS',
      entry.failures >= this.policy.lockoutAfter
        ? `Too many failed sign-in attempts: this username is locked. Try again in ${wait}.`
        : `Too many failed sign-in attempts. Try again in ${wait}.`,
    );
  }

  /** Records a failed attempt (a wrong password, an unknown or disabled username). */
  fail(username: string): void {
    const state = this.load();
    const key = this.hash(state, username);
    const previous = state.attempts[key];
    state.attempts[key] = {
      failures: Math.min((previous?.failures ?? 0) + 1, 1_000_000),
      lastFailureAt: this.now(),
    };
    this.save(state);
  }

  /** A successful sign-in (or a password reset with the recovery key) clears the username. */
  succeed(username: string): void {
    const state = this.load();
    const key = this.hash(state, username);
    if (!state.attempts[key]) return;
    delete state.attempts[key];
    this.save(state);
  }

  private hash(state: State, username: string): string {
    return crypto
      .createHmac('sha256', Buffer.from(state.salt, 'hex'))
      .update(`enamel/sign-in/${username.normalize('NFC').toLowerCase()}`)
      .digest('hex');
  }

  private load(): State {
    if (this.state) return this.forget(this.state);
    let state: State | null = null;
    try {
      state = stateFile.parse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        log.warn('sign-in attempts file unreadable; starting afresh', {
          error: (e as Error)?.name ?? 'unknown',
        });
    }
    this.state = state ?? {
      version: 1,
      salt: crypto.randomBytes(32).toString('hex'),
      attempts: {},
    };
    return this.forget(this.state);
  }

  private forget(state: State): State {
    const now = this.now();
    for (const [key, entry] of Object.entries(state.attempts)) {
      // Also drops entries stamped far in the future by a clock that has since been corrected.
      const age = now - entry.lastFailureAt;
      if (age > this.policy.forgetAfterMs || age < -this.policy.forgetAfterMs)
        delete state.attempts[key];
    }
    return state;
  }

  private save(state: State): void {
    writeFileAtomic(this.file, JSON.stringify(state));
  }
}
