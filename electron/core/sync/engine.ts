import { AppError } from '../../../shared/errors';
import { decodeHlc, HLC_MAX_DRIFT_MS } from '../../../shared/hlc';
import type { SyncConnection } from '../../../shared/ipc/sync';
import { signBatch } from '../../../shared/sync/crypto';
import type { PullPage, PushBatch } from '../../../shared/sync/protocol';
import { decodePayload, pageChecksumOf } from './messages';
import type { Sodium } from '../crypto/sodium';
import { SCHEMA_VERSION } from '../db/migrations';
import { log } from '../log';
import type { OpenStore } from '../store-session';
import { ChangeApplier, type ApplyOutcome, type RemoteChange } from './apply';
import { BULK_STEP_MS, BulkWrites } from './bulk';
import type { RelayAuth } from './auth';
import type { DeviceKeys, SyncCrypto } from './crypto';
import {
  hasUnsealed,
  newestChange,
  nextBatch,
  prepareOutbox,
  RETRY_AFTER_MS,
  settleBatch,
  skipAppliedChanges,
  type Batch,
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
 * A pulled page is applied in slices, each in its own transaction, sized so that one holds the
 * store for about BULK_STEP_MS: a command that arrives meanwhile (a search at the front desk)
 * waits at most about that. Between slices, and between fetching, opening and applying, the event
 * loop is free. Slices of one page are safe to split because applying is idempotent: a crash
 * between two slices repeats the page, and what was already applied is recognised and skipped.
 * Only the page's last slice moves the cursor.
 */
const SLICE_BUDGET_MS = BULK_STEP_MS;
const MIN_SLICE = 20;
const MAX_SLICE = 1000;
/** Messages per pull: the relay's largest page, so the log arrives in few round trips. */
const PULL_PAGE = 1000;

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

function* changesOf(opened: readonly Opened[]): Generator<RemoteChange> {
  for (const o of opened) if (o.change) yield o.change;
}

interface SignedBatch {
  batch: Batch;
  signed: PushBatch;
}

interface FetchedPage {
  page: PullPage;
  payloads: Uint8Array[];
}

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
  /** Messages applied per transaction, adapted to how long the last slices held the store. */
  private sliceSize = 200;
  private applier: { sqlite: unknown; applier: ChangeApplier } | null = null;
  private bulk: BulkWrites | null = null;

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
    // The next batch is sealed and signed while the relay handles the current one.
    let next: Promise<SignedBatch | null> = this.signedBatchAfter(0);
    for (let i = 0; i < 100_000 && !this.stopped; i++) {
      const current: SignedBatch | null = await next;
      if (!current) return;
      const sending = this.config.auth.run((token) =>
        this.config.transport.push(token, this.config.bucket, current.signed, this.abort.signal),
      );
      next = this.signedBatchAfter(current.batch.deviceSeqs.at(-1)!);
      // Left behind if this push fails: its failure is not a second one.
      next.catch(() => undefined);
      const result = await sending;
      await this.host.withStore(async (store) => {
        this.learnOffset(store);
        await inTransaction(store, () => settleBatch(store.sqlite, current.batch, result, at()));
      });
      this.connection = 'online';
    }
  }

  /** The next batch to push after `after`, sealed and signed; null when there is none. */
  private async signedBatchAfter(after: number): Promise<SignedBatch | null> {
    const retryBefore = new Date(this.host.now() - RETRY_AFTER_MS).toISOString();
    const batch = await this.host.withStore((store) =>
      withConnection(store, () => nextBatch(this.outboxContext(store), after, retryBefore)),
    );
    if (batch.messages.length === 0) return null;
    const signed = signBatch(
      this.config.crypto,
      this.config.relayDevice,
      batch.messages,
      this.config.keys.signingSecret,
      batch.payloads,
    );
    return { batch, signed };
  }

  /** The page after `cursor`, with its payloads decoded, once its checksum matched. */
  private async fetchPage(cursor: string): Promise<FetchedPage> {
    for (let attempt = 0; ; attempt++) {
      const page = await this.config.auth.run((token) =>
        this.config.transport.pull(token, this.config.bucket, cursor, this.abort.signal, PULL_PAGE),
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

  /**
   * Applies opened messages, and with `nextCursor` moves the cursor, in one transaction. Returns
   * what changed (null when the page had been applied already) and how long the store was held.
   */
  private async applyPage(
    opened: readonly Opened[],
    expectCursor: string | null,
    nextCursor: string | null,
    more: boolean,
    dropHeld: ReadonlyArray<{ bucket: string; server_seq: number }> = [],
  ): Promise<{ outcome: ApplyOutcome | null; heldMs: number }> {
    const at = new Date(this.host.now()).toISOString();
    let heldMs = 0;
    const result = await this.host.withStore(async (store) => {
      this.learnOffset(store);
      const applier = this.applierFor(store);
      let started = 0;
      const outcome = await inTransaction(
        store,
        () => {
          started = performance.now();
          const state = readState(store.sqlite);
          // Another cycle (or a previous run) already applied this page.
          if (expectCursor !== null && state.cursor !== expectCursor) return null;
          const drop = store.sqlite.prepare(
            'DELETE FROM sync_held WHERE bucket = ? AND server_seq = ?',
          );
          for (const h of dropHeld) drop.run(h.bucket, h.server_seq);
          const newestBefore = newestChange(store.sqlite);
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
          skipAppliedChanges(store.sqlite, state, newestBefore);
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
      // The commit included: it is part of what a waiting command sits through.
      heldMs = performance.now() - started;
      if (outcome?.tables.has('clinic')) store.clinic = readClinic(store) ?? store.clinic;
      return outcome;
    });
    if (nextCursor !== null && result) this.knownCursor = Number(nextCursor);
    if (result && result.applied > 0) this.host.changed(result);
    return { outcome: result, heldMs };
  }

  private async pullAll(): Promise<void> {
    const { cursor: start, bootstrapping } = await this.host.withStore((store) =>
      withConnection(store, () => {
        const state = readState(store.sqlite);
        return { cursor: state.cursor, bootstrapping: state.bootstrap_until !== null };
      }),
    );
    try {
      if (bootstrapping) await this.startBulk();
      await this.pullPages(start);
    } finally {
      await this.endBulk().catch(() => undefined);
    }
  }

  /** Settings for applying many pages in a row (see bulk.ts), until `endBulk`. */
  private async startBulk(): Promise<void> {
    if (this.bulk) return;
    this.bulk = await this.host.withStore((store) =>
      withConnection(store, () => new BulkWrites(store.sqlite, BULK_STEP_MS)),
    );
  }

  private async endBulk(): Promise<void> {
    const bulk = this.bulk;
    this.bulk = null;
    if (!bulk) return;
    await this.host.withStore((store) =>
      withConnection(store, () => {
        // Only the connection that was changed (a key rotation may have opened another).
        if (store.sqlite === bulk.sqlite) bulk.restore();
      }),
    );
  }

  /** A checkpoint between slices when one is due, as a step of its own. */
  private async paceCheckpoints(): Promise<void> {
    const bulk = this.bulk;
    if (!bulk?.sliceApplied()) return;
    await nextTick();
    await this.host.withStore((store) =>
      withConnection(store, () => {
        if (store.sqlite === bulk.sqlite) bulk.checkpoint();
      }),
    );
  }

  /**
   * Pulls and applies pages until the log ends. The next page is fetched while the current one is
   * opened and applied, so the relay's answer is on its way meanwhile.
   */
  private async pullPages(start: string): Promise<void> {
    let cursor = start;
    let lastStatus = this.host.now();
    let next: Promise<FetchedPage> | null = this.fetchPage(cursor);
    for (let i = 0; i < MAX_PAGES_PER_CYCLE && next && !this.stopped; i++) {
      const { page, payloads }: FetchedPage = await next;
      this.connection = 'online';
      next = page.more ? this.fetchPage(page.nextCursor) : null;
      // Left behind if this page fails or sync stops: its failure is not a failure of the cycle.
      next?.catch(() => undefined);
      // A backlog of more than a page is applied like a bootstrap.
      if (page.more) await this.startBulk();
      const applied = await this.applyPulled(page, payloads, cursor);
      // Another run moved the cursor first: start again from the store's cursor next cycle.
      if (!applied) return;
      cursor = page.nextCursor;
      if (this.host.now() - lastStatus > 250) {
        lastStatus = this.host.now();
        this.host.statusChanged();
      }
    }
  }

  /**
   * Opens and applies one page in slices of about SLICE_BUDGET_MS each; the last slice moves the
   * cursor from `cursor` to the page's next one. False if the cursor had moved meanwhile.
   */
  private async applyPulled(
    page: PullPage,
    payloads: readonly Uint8Array[],
    cursor: string,
  ): Promise<boolean> {
    const context = this.openContext();
    const total = page.messages.length;
    let done = 0;
    do {
      // Commands get a turn before opening a slice and before applying it.
      await nextTick();
      if (this.stopped) return false;
      const end = Math.min(total, done + this.sliceSize);
      const opened: Opened[] = [];
      for (let i = done; i < end; i++)
        opened.push(openMessage(page.messages[i]!, context, payloads[i]));
      this.applier?.applier.prepare(changesOf(opened));
      await nextTick();
      const last = end >= total;
      const { outcome, heldMs } = await this.applyPage(
        opened,
        cursor,
        last ? page.nextCursor : null,
        page.more,
      );
      if (!outcome) return false;
      if (opened.length >= MIN_SLICE) {
        const perMessage = heldMs / opened.length;
        const fits = Math.floor(SLICE_BUDGET_MS / Math.max(perMessage, 0.001));
        this.sliceSize = Math.max(
          MIN_SLICE,
          Math.min(MAX_SLICE, Math.round((this.sliceSize + fits) / 2)),
        );
      }
      done = end;
      await this.paceCheckpoints();
    } while (done < total);
    return true;
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
