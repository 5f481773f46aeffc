import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Core } from '../../electron/core/core';
import { loadSodium } from '../../electron/core/crypto/sodium';
import { describeWait, nextAttemptAt, SIGN_IN_POLICY } from '../../electron/core/throttle';
import type { Result } from '../../shared/errors';
import { ADMIN, setUpCore, TEST_KDF } from '../support/core';

const cores: Core[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cores.splice(0)) await c.close();
});

const START = Date.parse('2025-03-03T09:00:00Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const WRONG = 'not the right password at all';

/** A clinic on a clock the test moves by hand; signed out. */
async function clinicOnClock() {
  let t = START;
  const clock = {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
  const { core, dir, recoveryKey } = await setUpCore({ now: clock.now });
  cores.push(core);
  await core.call('session.logout', {});
  const reopen = () => {
    const c = new Core({ dataDir: dir, kdf: TEST_KDF, now: clock.now });
    cores.push(c);
    return c;
  };
  return { core, dir, recoveryKey, clock, reopen };
}

const attempt = (core: Core, username: string, password: string) =>
  core.dispatch('session.login', { username, password });

function expectWait(result: Result<unknown>, wait: string, label = wait): void {
  expect(result, label).toEqual({
    ok: false,
    error: { code: 'TOO_MANY_ATTEMPTS', message: expect.stringContaining(`Try again in ${wait}.`) },
  });
}

describe('the throttle policy', () => {
  it('allows three failures, then doubles the wait from one second, then locks out for 15 minutes', () => {
    const waits = Array.from({ length: 12 }, (_, i) => nextAttemptAt(i + 1, 0));
    expect(waits).toEqual([
      0,
      0,
      1 * SECOND,
      2 * SECOND,
      4 * SECOND,
      8 * SECOND,
      16 * SECOND,
      32 * SECOND,
      64 * SECOND,
      15 * MINUTE,
      15 * MINUTE,
      15 * MINUTE,
    ]);
    expect(SIGN_IN_POLICY.lockoutAfter).toBe(10);
  });

  it('says the wait rounded up, in words', () => {
    expect(describeWait(1)).toBe('1 second');
    expect(describeWait(1000)).toBe('1 second');
    expect(describeWait(1001)).toBe('2 seconds');
    expect(describeWait(64_000)).toBe('64 seconds');
    expect(describeWait(15 * MINUTE)).toBe('15 minutes');
    expect(describeWait(14 * MINUTE + 1)).toBe('15 minutes');
  });
});

describe('sign-in throttling', () => {
  it('makes each failure wait longer, then locks the username out, across restarts', async () => {
    const { core, clock, reopen } = await clinicOnClock();
    for (let i = 1; i <= 3; i++)
      expect(await attempt(core, ADMIN.username, WRONG), `failure ${i}`).toMatchObject({
        ok: false,
        error: { code: 'WRONG_CREDENTIALS' },
      });
    // From here each failure doubles the wait; the right password waits too.
    const expectedWaits = [1, 2, 4, 8, 16, 32, 64];
    for (const [i, seconds] of expectedWaits.entries()) {
      const wait = seconds === 1 ? '1 second' : `${seconds} seconds`;
      expectWait(await attempt(core, ADMIN.username, ADMIN.password), wait);
      clock.advance(seconds * SECOND - 1);
      expectWait(await attempt(core, ADMIN.username, WRONG), '1 second', `${wait} minus 1 ms`);
      clock.advance(1);
      expect(await attempt(core, ADMIN.username, WRONG), `failure ${i + 4}`).toMatchObject({
        ok: false,
        error: { code: 'WRONG_CREDENTIALS' },
      });
    }
    // Ten failures: locked out.
    const locked = await attempt(core, ADMIN.username, ADMIN.password);
    expectWait(locked, '15 minutes');
    expect(!locked.ok && locked.error.message).toMatch(/locked/);
    expect(core.currentSession).toBeNull();

    // A restart does not reset it.
    const restarted = reopen();
    clock.advance(14 * MINUTE);
    expectWait(await attempt(restarted, ADMIN.username, ADMIN.password), '60 seconds');
    clock.advance(MINUTE);
    expect(await attempt(restarted, ADMIN.username, ADMIN.password)).toMatchObject({ ok: true });

    // Success clears the count: the next failure is a free one again.
    await restarted.call('session.logout', {});
    expect(await attempt(restarted, ADMIN.username, WRONG)).toMatchObject({
      ok: false,
      error: { code: 'WRONG_CREDENTIALS' },
    });
    expect(await attempt(restarted, ADMIN.username, ADMIN.password)).toMatchObject({ ok: true });
  });

  it('answers an unknown username exactly as a known one, and stores no usernames', async () => {
    const { core, dir, clock } = await clinicOnClock();
    const replies: Array<[Result<unknown>, Result<unknown>]> = [];
    for (let i = 0; i < 12; i++) {
      replies.push([
        await attempt(core, ADMIN.username, WRONG),
        await attempt(core, 'nobody-here', WRONG),
      ]);
      clock.advance(i % 3 === 0 ? 500 : 70 * SECOND);
    }
    for (const [i, [known, unknown]] of replies.entries())
      expect(unknown, `attempt ${i}`).toEqual(known);
    expect(replies.some(([r]) => !r.ok && r.error.code === 'TOO_MANY_ATTEMPTS')).toBe(true);
    expect(replies.some(([r]) => !r.ok && r.error.code === 'WRONG_CREDENTIALS')).toBe(true);

    const file = fs.readFileSync(path.join(dir, 'sign-in-attempts.json'), 'utf8');
    expect(file).not.toMatch(/admin|nobody/i);
    const stored = JSON.parse(file) as { attempts: Record<string, unknown> };
    expect(Object.keys(stored.attempts)).toHaveLength(2);
    for (const key of Object.keys(stored.attempts)) expect(key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does the same Argon2id work for an unknown username as for a wrong password, and none while waiting', async () => {
    const { core } = await clinicOnClock();
    const sodium = await loadSodium();
    const pwhash = vi.spyOn(sodium, 'crypto_pwhash');
    await attempt(core, ADMIN.username, WRONG);
    await attempt(core, 'nobody-here', WRONG);
    expect(pwhash).toHaveBeenCalledTimes(2);
    const [known, unknown] = pwhash.mock.calls;
    // Same output length, passes and memory: only password and salt differ.
    expect([known![0], known![3], known![4], known![5]]).toEqual([
      unknown![0],
      unknown![3],
      unknown![4],
      unknown![5],
    ]);
    await attempt(core, ADMIN.username, WRONG);
    await attempt(core, ADMIN.username, WRONG);
    pwhash.mockClear();
    expect(await attempt(core, ADMIN.username, ADMIN.password)).toMatchObject({
      ok: false,
      error: { code: 'TOO_MANY_ATTEMPTS' },
    });
    expect(pwhash).not.toHaveBeenCalled();
  });

  it('counts wrong current passwords on a signed-in account too', async () => {
    const { core, clock } = await clinicOnClock();
    await core.call('session.login', { username: ADMIN.username, password: ADMIN.password });
    const change = () =>
      core.dispatch('session.changePassword', {
        currentPassword: WRONG,
        newPassword: 'velvet harbour compass thistle',
      });
    for (let i = 0; i < 3; i++)
      expect(await change()).toMatchObject({ ok: false, error: { code: 'WRONG_CREDENTIALS' } });
    expectWait(await change(), '1 second');
    clock.advance(SECOND);
    await core.call('session.logout', {});
    // The same username's sign-in shares the count.
    expect(await attempt(core, ADMIN.username, WRONG)).toMatchObject({
      ok: false,
      error: { code: 'WRONG_CREDENTIALS' },
    });
    expectWait(await attempt(core, ADMIN.username, ADMIN.password), '2 seconds');
  });

  it('a password reset with the recovery key clears the username', async () => {
    const { core, recoveryKey, clock } = await clinicOnClock();
    for (let i = 1; i <= 10; i++) {
      expect(await attempt(core, ADMIN.username, WRONG)).toMatchObject({
        ok: false,
        error: { code: 'WRONG_CREDENTIALS' },
      });
      if (i < 10) clock.advance(65 * SECOND);
    }
    expectWait(await attempt(core, ADMIN.username, ADMIN.password), '15 minutes');
    await core.call('session.recover', {
      recoveryKey,
      username: ADMIN.username,
      newPassword: 'granite willow lantern seven',
    });
    await core.call('session.logout', {});
    expect(await attempt(core, ADMIN.username, 'granite willow lantern seven')).toMatchObject({
      ok: true,
    });
  });
});
