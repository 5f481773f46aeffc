import type { SqliteDatabase } from '../db/store';

/**
 * Store settings while a workstation applies many pages in a row (a bootstrap, or a long
 * backlog), and the pacing of WAL checkpoints meanwhile.
 *
 * - A larger page cache, as the bulk seed uses: index pages are decrypted once rather than on
 *   every miss.
 * - No automatic checkpoints. SQLite would run one inside whichever commit takes the WAL past
 *   1,000 pages: copying 4 MB and two fsyncs inside a slice that was sized to hold the store for
 *   30 ms (measured at 40-220 ms on a busy disk). Instead the engine checkpoints between slices,
 *   as a step of its own, as often as keeps each one within `budgetMs`: a search that arrives
 *   waits for one step, never for a slice and a checkpoint together.
 *
 * The settings belong to the connection, not the file: a crash or a new connection (a key
 * rotation) starts from the defaults again.
 */
/**
 * How long one step of bulk applying (a slice of changes, or a checkpoint) should hold the store:
 * a command that arrives meanwhile (a search at the front desk) waits at most about this long.
 */
export const BULK_STEP_MS = 30;

export class BulkWrites {
  private slicesSince = 0;
  /** WAL frames a slice writes, and milliseconds a checkpoint spends per frame (learnt). */
  private framesPerSlice = 250;
  private msPerFrame = 0.03;
  private readonly previous: { cache: number; autocheckpoint: number };

  constructor(
    readonly sqlite: SqliteDatabase,
    private readonly budgetMs: number,
  ) {
    this.previous = {
      cache: Number(sqlite.pragma('cache_size', { simple: true })),
      autocheckpoint: Number(sqlite.pragma('wal_autocheckpoint', { simple: true })),
    };
    sqlite.pragma('cache_size = -131072');
    sqlite.pragma('wal_autocheckpoint = 0');
  }

  /** After each applied slice: whether a checkpoint is due before the next one. */
  sliceApplied(): boolean {
    this.slicesSince += 1;
    return this.slicesSince * this.framesPerSlice * this.msPerFrame >= this.budgetMs;
  }

  /** Copies the WAL into the file (PASSIVE: never waits for, nor blocks, anyone). */
  checkpoint(): void {
    const started = performance.now();
    const [result] = this.sqlite.pragma('wal_checkpoint(PASSIVE)') as Array<{
      busy: number;
      log: number;
      checkpointed: number;
    }>;
    const ms = performance.now() - started;
    const frames = result?.checkpointed ?? 0;
    if (frames > 0 && this.slicesSince > 0) {
      this.framesPerSlice = smooth(this.framesPerSlice, frames / this.slicesSince);
      this.msPerFrame = smooth(this.msPerFrame, ms / frames);
    }
    this.slicesSince = 0;
  }

  /** Back to the connection's own settings; SQLite checkpoints the rest when it next commits. */
  restore(): void {
    this.sqlite.pragma(`cache_size = ${this.previous.cache}`);
    this.sqlite.pragma(`wal_autocheckpoint = ${this.previous.autocheckpoint}`);
  }
}

function smooth(previous: number, measured: number): number {
  return Number.isFinite(measured) && measured > 0 ? (previous + measured) / 2 : previous;
}
