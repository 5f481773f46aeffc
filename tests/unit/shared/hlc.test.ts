import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ClockDriftError,
  decodeHlc,
  encodeHlc,
  HLC_MAX_COUNTER,
  HLC_MAX_DRIFT_MS,
  HybridLogicalClock,
  type HlcTimestamp,
} from '../../../shared/hlc';

const T0 = Date.UTC(2025, 0, 15, 9, 0, 0);

/** A wall clock the test moves by hand. */
function manualClock(start = T0) {
  let now = start;
  return {
    read: () => now,
    set: (value: number) => {
      now = value;
    },
    add: (ms: number) => {
      now += ms;
    },
  };
}

const compareTuples = (a: HlcTimestamp, b: HlcTimestamp): number =>
  a.millis !== b.millis
    ? a.millis - b.millis
    : a.counter !== b.counter
      ? a.counter - b.counter
      : a.node < b.node
        ? -1
        : a.node > b.node
          ? 1
          : 0;

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const timestamp = fc.record({
  millis: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  counter: fc.integer({ min: 0, max: HLC_MAX_COUNTER }),
  node: fc.stringMatching(/^[0-9a-zA-Z_-]{1,64}$/),
});

describe('hybrid logical clock', () => {
  it('issues strictly increasing timestamps while the wall clock stands still or goes back', () => {
    const wall = manualClock();
    const clock = new HybridLogicalClock('node-a', wall.read);
    const issued = [clock.now(), clock.now()];
    wall.add(-60_000);
    issued.push(clock.now(), clock.now());
    wall.add(120_000);
    issued.push(clock.now());
    for (let i = 1; i < issued.length; i++) expect(issued[i]! > issued[i - 1]!).toBe(true);
    expect(decodeHlc(issued[0]!)).toEqual({ millis: T0, counter: 0, node: 'node-a' });
    expect(decodeHlc(issued[1]!)).toEqual({ millis: T0, counter: 1, node: 'node-a' });
    // Wall clock 60 s behind: the logical part keeps counting on the last millisecond.
    expect(decodeHlc(issued[2]!)).toEqual({ millis: T0, counter: 2, node: 'node-a' });
    expect(decodeHlc(issued[4]!)).toEqual({ millis: T0 + 60_000, counter: 0, node: 'node-a' });
  });

  it('resumes after a persisted timestamp even when the wall clock is now earlier', () => {
    const persisted = encodeHlc({ millis: T0 + 3_600_000, counter: 7, node: 'old' });
    const clock = new HybridLogicalClock('node-a', () => T0, persisted);
    expect(clock.lastIssued).toBe(persisted);
    const next = clock.now();
    expect(next > persisted).toBe(true);
    expect(decodeHlc(next)).toEqual({ millis: T0 + 3_600_000, counter: 8, node: 'node-a' });
  });

  it('applies the offset learnt from the relay', () => {
    const clock = new HybridLogicalClock('node-a', () => T0, undefined, 2_500);
    expect(decodeHlc(clock.now()).millis).toBe(T0 + 2_500);
    clock.offsetMs = -1_000;
    // Going back in corrected time still never goes back in issued time.
    expect(decodeHlc(clock.now())).toMatchObject({ millis: T0 + 2_500, counter: 1 });
  });

  it('merges a received timestamp ahead of local time and stays ahead of it', () => {
    const wall = manualClock();
    const clock = new HybridLogicalClock('node-a', wall.read);
    clock.now();
    const remote = encodeHlc({ millis: T0 + 60_000, counter: 41, node: 'node-b' });
    const merged = clock.receive(remote);
    expect(decodeHlc(merged)).toEqual({ millis: T0 + 60_000, counter: 42, node: 'node-a' });
    expect(merged > remote).toBe(true);
    const after = clock.now();
    expect(after > merged).toBe(true);
    expect(decodeHlc(after)).toEqual({ millis: T0 + 60_000, counter: 43, node: 'node-a' });
  });

  it('on a received timestamp behind local time, keeps counting from its own', () => {
    const wall = manualClock();
    const clock = new HybridLogicalClock('node-a', wall.read);
    clock.now();
    clock.now();
    const merged = clock.receive(encodeHlc({ millis: T0 - 10_000, counter: 900, node: 'node-b' }));
    expect(decodeHlc(merged)).toEqual({ millis: T0, counter: 2, node: 'node-a' });
  });

  it('on equal milliseconds, takes the larger counter plus one', () => {
    const clock = new HybridLogicalClock('node-a', () => T0);
    clock.now();
    const merged = clock.receive(encodeHlc({ millis: T0, counter: 10, node: 'node-b' }));
    expect(decodeHlc(merged)).toEqual({ millis: T0, counter: 11, node: 'node-a' });
  });

  it('refuses a timestamp more than 5 minutes ahead and is left unchanged', () => {
    const clock = new HybridLogicalClock('node-a', () => T0);
    const before = clock.now();
    const tooFar = encodeHlc({ millis: T0 + HLC_MAX_DRIFT_MS + 1, counter: 0, node: 'node-b' });
    expect(() => clock.receive(tooFar)).toThrow(ClockDriftError);
    expect(clock.lastIssued).toBe(before);
    expect(decodeHlc(clock.now())).toEqual({ millis: T0, counter: 1, node: 'node-a' });
    // Exactly at the bound is still accepted.
    const atBound = encodeHlc({ millis: T0 + HLC_MAX_DRIFT_MS, counter: 0, node: 'node-b' });
    expect(decodeHlc(clock.receive(atBound)).millis).toBe(T0 + HLC_MAX_DRIFT_MS);
  });

  it('measures drift against the corrected clock (with the relay offset)', () => {
    const clock = new HybridLogicalClock('node-a', () => T0, undefined, 60_000);
    const remote = encodeHlc({ millis: T0 + HLC_MAX_DRIFT_MS + 30_000, counter: 0, node: 'b' });
    expect(() => clock.receive(remote)).not.toThrow();
  });

  it('moves to the next millisecond when the counter is exhausted', () => {
    const clock = new HybridLogicalClock('node-a', () => T0);
    let last = '';
    for (let i = 0; i <= HLC_MAX_COUNTER; i++) {
      const next = clock.now();
      expect(next > last).toBe(true);
      last = next;
    }
    expect(decodeHlc(last)).toEqual({ millis: T0, counter: HLC_MAX_COUNTER, node: 'node-a' });
    const overflow = clock.now();
    expect(overflow > last).toBe(true);
    expect(decodeHlc(overflow)).toEqual({ millis: T0 + 1, counter: 0, node: 'node-a' });
  });

  it('moves to the next millisecond when a received counter is exhausted', () => {
    const clock = new HybridLogicalClock('node-a', () => T0);
    const remote = encodeHlc({ millis: T0 + 5, counter: HLC_MAX_COUNTER, node: 'node-b' });
    const merged = clock.receive(remote);
    expect(merged > remote).toBe(true);
    expect(decodeHlc(merged)).toEqual({ millis: T0 + 6, counter: 0, node: 'node-a' });
  });

  it('encodes and decodes without loss, and decoding rejects malformed text', () => {
    fc.assert(
      fc.property(timestamp, (ts) => {
        const encoded = encodeHlc(ts);
        expect(encoded).toMatch(/^[0-9a-f]{12}-[0-9a-f]{4}-/);
        expect(decodeHlc(encoded)).toEqual(ts);
      }),
      { numRuns: 1000 },
    );
    for (const bad of [
      '',
      'not a timestamp',
      '0192f3a1b2c3-0000-',
      '192f3a1b2c3-0000-node',
      '0192F3A1B2C3-0000-node',
      '0192f3a1b2c3-00000-node',
      '0192f3a1b2c3-0000-no de',
      `0192f3a1b2c3-0000-${'n'.repeat(65)}`,
    ]) {
      expect(() => decodeHlc(bad), bad).toThrow();
    }
    expect(() => new HybridLogicalClock('n', () => T0, 'garbage')).toThrow();
  });

  it('orders encoded strings exactly as it orders timestamps', () => {
    fc.assert(
      fc.property(timestamp, timestamp, (a, b) => {
        expect(compareStrings(encodeHlc(a), encodeHlc(b))).toBe(sign(compareTuples(a, b)));
      }),
      { numRuns: 2000 },
    );
  });

  it('string order follows causal order across nodes with skewed clocks', () => {
    type Step =
      | { op: 'tick'; ms: number }
      | { op: 'local'; node: number }
      | { op: 'send'; from: number; to: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      // Small steps back (NTP corrections) stay well inside the 5-minute drift bound.
      fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: -50, max: 5_000 }) }),
      fc.record({ op: fc.constant('local' as const), node: fc.integer({ min: 0, max: 2 }) }),
      fc.record({
        op: fc.constant('send' as const),
        from: fc.integer({ min: 0, max: 2 }),
        to: fc.integer({ min: 0, max: 2 }),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -120_000, max: 120_000 }), { minLength: 3, maxLength: 3 }),
        fc.array(step, { maxLength: 200 }),
        (skews, steps) => {
          const wall = manualClock();
          const clocks = skews.map(
            (skew, i) => new HybridLogicalClock(`node${i}`, () => wall.read() + skew),
          );
          const lastBy = clocks.map(() => '');
          const all: string[] = [];
          const issue = (node: number, ts: string) => {
            // Each node's own history is strictly increasing (it happened after all of it).
            expect(ts > lastBy[node]!).toBe(true);
            lastBy[node] = ts;
            all.push(ts);
          };
          for (const s of steps) {
            if (s.op === 'tick') wall.add(s.ms);
            else if (s.op === 'local') issue(s.node, clocks[s.node]!.now());
            else {
              const sent = clocks[s.from]!.now();
              issue(s.from, sent);
              const received = clocks[s.to]!.receive(sent);
              // Receiving happens after sending, so it must sort after the sent stamp.
              expect(received > sent).toBe(true);
              if (s.to !== s.from) issue(s.to, received);
              else lastBy[s.to] = received;
            }
          }
          expect(new Set(all).size).toBe(all.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
