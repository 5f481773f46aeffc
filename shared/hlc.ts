/**
 * Hybrid logical clock: 48-bit wall-clock milliseconds, a 16-bit counter and the node id.
 * Encoded as a fixed-width string so that string order equals causal order:
 * `0192f3a1b2c3-0000-<node>`.
 */
export const HLC_MAX_COUNTER = 0xffff;
/** Timestamps further ahead of our corrected physical clock are refused. */
export const HLC_MAX_DRIFT_MS = 5 * 60 * 1000;

export interface HlcTimestamp {
  millis: number;
  counter: number;
  node: string;
}

export class ClockDriftError extends Error {
  override readonly name = 'ClockDriftError';
}

export function encodeHlc(ts: HlcTimestamp): string {
  return `${ts.millis.toString(16).padStart(12, '0')}-${ts.counter.toString(16).padStart(4, '0')}-${ts.node}`;
}

export function decodeHlc(value: string): HlcTimestamp {
  const match = /^([0-9a-f]{12})-([0-9a-f]{4})-([0-9a-zA-Z_-]{1,64})$/.exec(value);
  if (!match) throw new Error('Malformed HLC timestamp');
  return { millis: parseInt(match[1]!, 16), counter: parseInt(match[2]!, 16), node: match[3]! };
}

/**
 * A clock for one node. `now()` gives a timestamp greater than every timestamp it has issued or
 * received. When the counter would overflow within one millisecond, the clock moves on to the
 * next millisecond rather than block or fail (see `now()` and `receive()`).
 */
export class HybridLogicalClock {
  private last: HlcTimestamp;

  constructor(
    readonly node: string,
    private readonly physicalNow: () => number,
    last?: string,
    /** Offset to add to the local clock, learnt from the relay. */
    public offsetMs = 0,
  ) {
    this.last = last ? decodeHlc(last) : { millis: 0, counter: 0, node };
  }

  private wall(): number {
    return Math.floor(this.physicalNow() + this.offsetMs);
  }

  get lastIssued(): string {
    return encodeHlc(this.last);
  }

  now(): string {
    const wall = this.wall();
    if (wall > this.last.millis) {
      this.last = { millis: wall, counter: 0, node: this.node };
    } else if (this.last.counter < HLC_MAX_COUNTER) {
      this.last = { millis: this.last.millis, counter: this.last.counter + 1, node: this.node };
    } else {
      // Counter exhausted within one millisecond: move to the next millisecond. This stays within
      // the drift bound because it happens at most once per 65,536 events.
      this.last = { millis: this.last.millis + 1, counter: 0, node: this.node };
    }
    return encodeHlc(this.last);
  }

  /** Merge a timestamp received from another node. Refuses timestamps too far in the future. */
  receive(remote: string): string {
    const r = decodeHlc(remote);
    const wall = this.wall();
    if (r.millis - wall > HLC_MAX_DRIFT_MS) {
      throw new ClockDriftError('A change arrived stamped more than 5 minutes in the future');
    }
    const millis = Math.max(wall, this.last.millis, r.millis);
    let counter: number;
    if (millis === this.last.millis && millis === r.millis)
      counter = Math.max(this.last.counter, r.counter) + 1;
    else if (millis === this.last.millis) counter = this.last.counter + 1;
    else if (millis === r.millis) counter = r.counter + 1;
    else counter = 0;
    this.last =
      counter > HLC_MAX_COUNTER
        ? { millis: millis + 1, counter: 0, node: this.node }
        : { millis, counter, node: this.node };
    return encodeHlc(this.last);
  }
}
