import { AppError } from '../../../shared/errors';
import { decodeHlc, HLC_MAX_DRIFT_MS } from '../../../shared/hlc';
import type { SyncConnection } from '../../../shared/ipc/sync';
import { signBatch } from '../../../shared/sync/crypto';
import type { PullPage } from '../../../shared/sync/protocol';
import { decodePayload, pageChecksumOf } from './messages';
import type { Sodium } from '../crypto/sodium';
import { SCHEMA_VERSION } from '../db/migrations';
import { log } from '../log';
import type { OpenStore } from '../store-session';
import { ChangeApplier, type ApplyOutcome } from './apply';
import type { RelayAuth } from './auth';
import type { DeviceKeys, SyncCrypto } from './crypto';
import {
  hasUnsealed,
  nextBatch,
  prepareOutbox,
  RETRY_AFTER_MS,
  settleBatch,
  type OutboxContext,
} from './outbox';
import { applyOpened, heldForRetry, openMessage, type Opened, type OpenContext } from './pull';
import { readState, updateState, type ClinicKeys } from './state';
import { inTransaction, readClinic, withConnection } from './store-access';
import { RelayRefusal, RelayUnreachable, type RelayTransport } from './transport';

/** What the engine needs from its host (the Core): the store while someone is signed in, events. */
export interface SyncHost {
  /** Runs `fn` with the open store, in turn with other commands; throws NOT_SIGNED_IN when closed. */
  withStore<T>(fn: (store: OpenStore) => Promise<T>): Promise<T>;
  now(): number;
  /** After changes from elsewhere were applied. */
  changed(outcome: ApplyOutcome): void;
  /** Something the indicator shows changed. */
  statusChanged(): void;
  /** The relay revoked this workstation. */
  revoked(): void;
}

export interface SyncTiming {
  /** Pushes follow a change at once, then at most once per this window. */
  debounceMs: number;
  /** A pull on this timer besides the relay's pokes; 0 for none. */
  pullIntervalMs: number;
  /** Listen to the relay's event stream (pokes). */
  events: boolean;
  /** Waits after failures: doubling from `backoffBaseMs` up to `backoffMaxMs`, with jitter. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Timers at all; tests that drive sync step by step turn them off. */
  background: boolean;
}

export const DEFAULT_TIMING: SyncTiming = {
  debounceMs: 200,
  pullIntervalMs: 30_000,
  events: true,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  background: true,
};

export interface EngineConfig {
  transport: RelayTransport;
  auth: RelayAuth;
  crypto: SyncCrypto;
  sodium: Sodium;
  relayDevice: string;
  bucket: string;
  keys: DeviceKeys;
  clinicKeys: ClinicKeys;
}

/**
 * Pages are sized so that applying one holds the store for about this long: a command that
 * arrives meanwhile (a search at the front desk) waits at most about that. Between pages, and
 * between fetching, opening and applying, the event loop is free.
 */
const PAGE_BUDGET_MS = 20;
const MIN_PAGE = 50;
const MAX_PAGE = 1000;

/** A page that fails its checksum is fetched again this many times before the cycle gives up. */
const CHECKSUM_RETRIES = 2;
const MAX_PAGES_PER_CYCLE = 100_000;

/** A wait of `ms` that ends early when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Keeps one enrolled workstation in step with the relay while a member of staff is signed in:
 * pushes its changes soon after they are made, pulls on the relay's pokes and on a timer, applies
 * what it pulls page by page, and backs off (with jitter, up to a minute) while the relay cannot
 * be reached. One cycle runs at a time; asking during a cycle runs one more after it.
 */
export class SyncEngine {
  private stopped = false;
  private running: Promise<void> | null = null;
  private again = false;
  private readonly abort = new AbortController();
  private pushTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private interval: NodeJS.Timeout | null = null;
  private lastPushAt = 0;
  private failures = 0;
  private knownCursor = 0;
  /** Messages to ask for per page, adapted to how long the last ones took to apply. */
  private pageSize = 250;
  private applier: { sqlite: unknown; applier: ChangeApplier } | null = null;

  connection: SyncConnection = 'connecting';
  error: string | null = null;
  /** The relay's newest sequence number, from its event stream. */
  head: number | null = null;
  lastSyncAt: string | null = null;

  constructor(
    private readonly host: SyncHost,
    private readonly config: EngineConfig,
    private readonly timing: SyncTiming,
  ) {}

  start(): void {
    if (!this.timing.background) return;
    if (this.timing.events) void this.listen();
    if (this.timing.pullIntervalMs > 0)
      this.interval = setInterval(() => void this.kick(), this.timing.pullIntervalMs);
    void this.kick();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    for (const t of [this.pushTimer, this.retryTimer]) if (t) clearTimeout(t);
    if (this.interval) clearInterval(this.interval);
    this.pushTimer = this.retryTimer = this.interval = null;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * A command succeeded: if it wrote changes, push them at once, or at the end of the current
   * window while changes keep coming. Commands that only read cost one indexed lookup.
   */
  noteLocalChange(): void {
    if (this.stopped || !this.timing.background || this.pushTimer) return;
    const wait = Math.max(0, this.lastPushAt + this.timing.debounceMs - this.host.now());
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      void this.pushIfChanged();
    }, wait);
  }

  private async pushIfChanged(): Promise<void> {
    const unsent = await this.host
      .withStore((store) => withConnection(store, () => hasUnsealed(store.sqlite, store.deviceId)))
      .catch(() => false);
    if (!unsent || this.stopped) return;
    this.lastPushAt = this.host.now();
    await this.kick();
  }

  /** Runs a cycle (or one more after the current); resolves when it is done. Never throws. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.cycle();
        } while (this.again && !this.stopped);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async cycle(): Promise<void> {
    try {
      await this.pushAll();
      await this.pullAll();
      await this.retryHeld();
      const at = new Date(this.host.now()).toISOString();
      await this.host.withStore((store) =>
        inTransaction(store, () => updateState(store.sqlite, { last_sync_at: at })),
      );
      this.lastSyncAt = at;
      this.failures = 0;
      this.connection = 'online';
      this.error = await this.describeProblems();
    } catch (error) {
      if (this.stopped) return;
      this.onFailure(error);
    } finally {
      if (!this.stopped) this.host.statusChanged();
    }
  }

  private onFailure(error: unknown): void {
    if (error instanceof AppError && error.code === 'NOT_SIGNED_IN') {
      this.stop();
      return;
    }
    if (error instanceof RelayRefusal && error.code === 'DEVICE_REVOKED') {
      this.error =
        'The relay refuses this workstation: it was revoked. Changes made here are no longer sent.';
      this.connection = 'offline';
      this.stop();
      this.host.revoked();
      return;
    }
    if (error instanceof RelayUnreachable) {
      this.connection = 'offline';
      this.error = 'The relay cannot be reached. Changes are kept here and sent when it can be.';
    } else if (error instanceof RelayRefusal) {
      this.connection = 'online';
      this.error = `The relay refused a request: ${error.message}`;
    } else {
      log.error('sync cycle failed', { error: (error as Error)?.name ?? 'unknown' });
      this.error = 'Sync stopped on an unexpected problem and will try again.';
    }
    this.failures += 1;
    this.scheduleRetry();
  }

  private backoffMs(failures: number): number {
    const ceiling = Math.min(
      this.timing.backoffMaxMs,
      this.timing.backoffBaseMs * 2 ** Math.min(failures - 1, 20),
    );
    // Half fixed, half random: workstations that lost the relay together do not return together.
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private scheduleRetry(): void {
    if (!this.timing.background || this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.kick();
    }, this.backoffMs(this.failures));
  }

  private learnOffset(store: OpenStore): void {
    const offset = this.config.transport.offsetMs;
    if (offset !== null) store.clock.offsetMs = offset;
  }

  private outboxContext(store: OpenStore): OutboxContext {
    return {
      sqlite: store.sqlite,
      crypto: this.config.crypto,
      localDeviceId: store.deviceId,
      relayDevice: this.config.relayDevice,
      bucket: this.config.bucket,
      keys: this.config.clinicKeys,
      schema: SCHEMA_VERSION,
    };
  }

  private async pushAll(): Promise<void> {
    const at = () => new Date(this.host.now()).toISOString();
    for (let i = 0; i < 100_000; i++) {
      const sealed = await this.host.withStore((store) =>
        inTransaction(store, () => prepareOutbox(this.outboxContext(store), at())),
      );
      if (sealed === 0) break;
      await nextTick();
    }
    let after = 0;
    for (let i = 0; i < 100_000 && !this.stopped; i++) {
      const retryBefore = new Date(this.host.now() - RETRY_AFTER_MS).toISOString();
      const batch = await this.host.withStore((store) =>
        withConnection(store, () => nextBatch(this.outboxContext(store), after, retryBefore)),
      );
      if (batch.messages.length === 0) return;
      const signed = signBatch(
        this.config.crypto,
        this.config.relayDevice,
        batch.messages,
        this.config.keys.signingSecret,
      );
      const result = await this.config.auth.run((token) =>
        this.config.transport.push(token, this.config.bucket, signed, this.abort.signal),
      );
      await this.host.withStore(async (store) => {
        this.learnOffset(store);
        await inTransaction(store, () => settleBatch(store.sqlite, batch, result, at()));
      });
      this.connection = 'online';
      after = batch.deviceSeqs.at(-1)!;
    }
  }

  /** The page after `cursor`, with its payloads decoded, once its checksum matched. */
  private async fetchPage(cursor: string): Promise<{ page: PullPage; payloads: Uint8Array[] }> {
    for (let attempt = 0; ; attempt++) {
      const page = await this.config.auth.run((token) =>
        this.config.transport.pull(
          token,
          this.config.bucket,
          cursor,
          this.abort.signal,
          this.pageSize,
        ),
      );
      let ordered = true;
      let previous = Number(cursor);
      for (const m of page.messages) {
        ordered &&= m.serverSeq > previous && m.header.bucket === this.config.bucket;
        previous = m.serverSeq;
      }
      const payloads = page.messages.map((m) => decodePayload(m.payload));
      if (ordered && pageChecksumOf(page.messages, payloads) === page.checksum)
        return { page, payloads };
      if (attempt >= CHECKSUM_RETRIES)
        throw new RelayUnreachable('Pages from the relay do not match their checksums');
    }
  }

  private applierFor(store: OpenStore): ChangeApplier {
    if (this.applier?.sqlite !== store.sqlite)
      this.applier = { sqlite: store.sqlite, applier: new ChangeApplier(store.sqlite) };
    return this.applier.applier;
  }

  private openContext(): OpenContext {
    return {
      crypto: this.config.crypto,
      keys: this.config.clinicKeys,
      self: this.config.relayDevice,
      schema: SCHEMA_VERSION,
    };
  }

  /** Applies opened messages and moves the cursor, in one transaction. */
  private async applyPage(
    opened: readonly Opened[],
    expectCursor: string | null,
    nextCursor: string | null,
    more: boolean,
    dropHeld: ReadonlyArray<{ bucket: string; server_seq: number }> = [],
  ): Promise<ApplyOutcome | null> {
    const at = new Date(this.host.now()).toISOString();
    const result = await this.host.withStore(async (store) => {
      this.learnOffset(store);
      const applier = this.applierFor(store);
      const outcome = await inTransaction(
        store,
        () => {
          const state = readState(store.sqlite);
          // Another cycle (or a previous run) already applied this page.
          if (expectCursor !== null && state.cursor !== expectCursor) return null;
          const drop = store.sqlite.prepare(
            'DELETE FROM sync_held WHERE bucket = ? AND server_seq = ?',
          );
          for (const h of dropHeld) drop.run(h.bucket, h.server_seq);
          const applied = applyOpened(
            {
              sqlite: store.sqlite,
              applier,
              clock: store.clock,
              sodium: this.config.sodium,
              bucket: this.config.bucket,
              localDeviceId: store.deviceId,
              at,
              now: () => this.host.now(),
            },
            opened,
          );
          if (applied.tables.has('clinic') && state.local_clinic_id) {
            const others = store.sqlite
              .prepare('SELECT count(*) FROM clinic WHERE id <> ?')
              .pluck()
              .get(state.local_clinic_id) as number;
            if (others > 0) {
              // The joiner's own set-up clinic row never left it: the clinic's replaces it.
              store.sqlite.prepare('DELETE FROM clinic WHERE id = ?').run(state.local_clinic_id);
              store.sqlite
                .prepare(`DELETE FROM change_log WHERE table_name = 'clinic' AND row_id = ?`)
                .run(state.local_clinic_id);
              updateState(store.sqlite, { local_clinic_id: null });
            }
          }
          if (nextCursor !== null) {
            const bootstrapping = state.bootstrap_until !== null;
            updateState(store.sqlite, {
              cursor: nextCursor,
              ...(bootstrapping && !more
                ? { bootstrap_until: null }
                : bootstrapping && this.head !== null && this.head > state.bootstrap_until!
                  ? { bootstrap_until: this.head }
                  : {}),
            });
          }
          return applied;
        },
        { foreignKeysOff: true },
      );
      if (outcome?.tables.has('clinic')) store.clinic = readClinic(store) ?? store.clinic;
      return outcome;
    });
    if (nextCursor !== null) this.knownCursor = Number(nextCursor);
    if (result && result.applied > 0) this.host.changed(result);
    return result;
  }

  private async pullAll(): Promise<void> {
    const { cursor: start, bootstrapping } = await this.host.withStore((store) =>
      withConnection(store, () => {
        const state = readState(store.sqlite);
        return { cursor: state.cursor, bootstrapping: state.bootstrap_until !== null };
      }),
    );
    // A bootstrap writes the whole clinic: a larger page cache for its duration, as the bulk seed
    // does (index pages are then decrypted once rather than on every miss). WAL checkpoints are
    // left as they are: rarer ones would be longer, and a command waits for one to finish.
    const restore = bootstrapping ? await this.bulkSettings() : null;
    try {
      await this.pullPages(start);
    } finally {
      if (restore) await restore().catch(() => undefined);
    }
  }

  private async bulkSettings(): Promise<() => Promise<void>> {
    const previous = await this.host.withStore((store) =>
      withConnection(store, () => {
        const cache = store.sqlite.pragma('cache_size', { simple: true }) as number;
        store.sqlite.pragma('cache_size = -131072');
        return { cache, sqlite: store.sqlite };
      }),
    );
    return () =>
      this.host.withStore((store) =>
        withConnection(store, () => {
          // Only the connection that was changed (a key rotation may have opened another).
          if (store.sqlite !== previous.sqlite) return;
          store.sqlite.pragma(`cache_size = ${Number(previous.cache)}`);
        }),
      );
  }

  private async pullPages(start: string): Promise<void> {
    let cursor = start;
    let lastStatus = this.host.now();
    for (let i = 0; i < MAX_PAGES_PER_CYCLE && !this.stopped; i++) {
      const { page, payloads } = await this.fetchPage(cursor);
      this.connection = 'online';
      // Between checking and opening, and between opening and applying, commands get a turn.
      await nextTick();
      const context = this.openContext();
      const opened = page.messages.map((m, i) => openMessage(m, context, payloads[i]));
      await nextTick();
      const started = performance.now();
      await this.applyPage(opened, cursor, page.nextCursor, page.more);
      if (opened.length >= 20) {
        const perMessage = (performance.now() - started) / opened.length;
        const fits = Math.floor(PAGE_BUDGET_MS / Math.max(perMessage, 0.001));
        this.pageSize = Math.max(
          MIN_PAGE,
          Math.min(MAX_PAGE, Math.round((this.pageSize + fits) / 2)),
        );
      }
      cursor = page.nextCursor;
      if (!page.more) return;
      if (this.host.now() - lastStatus > 250) {
        lastStatus = this.host.now();
        this.host.statusChanged();
      }
      // Lets commands in between pages: a search waits at most one page.
      await nextTick();
    }
  }

  /** Tries again the held changes whose reason may have passed (time, upgrade, new key). */
  private async retryHeld(): Promise<void> {
    const held = await this.host.withStore((store) =>
      withConnection(store, () => heldForRetry(store.sqlite)),
    );
    if (held.length === 0) return;
    const wall = this.host.now() + (this.config.transport.offsetMs ?? 0);
    const ready = held.filter((h) => {
      const header = h.message.header;
      if (h.reason === 'schema') return header.schema <= SCHEMA_VERSION;
      if (h.reason === 'key') return this.config.clinicKeys.byId.has(header.keyId);
      return decodeHlc(header.hlc).millis - wall <= HLC_MAX_DRIFT_MS;
    });
    if (ready.length === 0) return;
    const opened = ready.map((h) => openMessage(h.message, this.openContext()));
    await this.applyPage(opened, null, null, false, ready);
  }

  /** What the indicator should say about refused and held changes, or null when there are none. */
  async describeProblems(): Promise<string | null> {
    return this.host.withStore((store) =>
      withConnection(store, () => {
        const refused = store.sqlite
          .prepare(
            `SELECT count(*) AS n, min(reason) AS reason FROM sync_outbox WHERE state = 'rejected'`,
          )
          .get() as { n: number; reason: string | null };
        const held = store.sqlite.prepare('SELECT count(*) FROM sync_held').pluck().get() as number;
        const offset = this.config.transport.offsetMs;
        const parts: string[] = [];
        if (offset !== null && Math.abs(offset) > 60_000)
          parts.push(
            `This computer's clock is ${Math.round(Math.abs(offset) / 60_000)} minute(s) ${
              offset < 0 ? 'ahead of' : 'behind'
            } the relay's; check its date and time settings.`,
          );
        if (refused.n > 0)
          parts.push(
            `The relay refused ${refused.n} change(s) made here: ${refused.reason ?? 'no reason given'}`,
          );
        if (held > 0)
          parts.push(
            `${held} change(s) from other workstations are held back; see the sync screen.`,
          );
        return parts.length > 0 ? parts.join(' ') : null;
      }),
    );
  }

  /** Listens to the relay's pokes until stopped, reconnecting with back-off. */
  private async listen(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.config.auth.run((token) =>
          this.config.transport.events(
            token,
            this.config.bucket,
            (_name, event) => {
              if (event.bucket !== this.config.bucket) return;
              failures = 0;
              this.head = Math.max(this.head ?? 0, event.serverSeq);
              if (this.connection !== 'online') {
                this.connection = 'online';
                this.host.statusChanged();
              }
              if (event.serverSeq > this.knownCursor) void this.kick();
            },
            this.abort.signal,
          ),
        );
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof RelayRefusal && error.code === 'DEVICE_REVOKED') {
          this.onFailure(error);
          return;
        }
        failures += 1;
        if (error instanceof RelayUnreachable && this.connection !== 'offline') {
          this.connection = 'offline';
          this.host.statusChanged();
        }
      }
      await sleep(failures === 0 ? 100 : this.backoffMs(failures), this.abort.signal);
    }
  }
}
