import { AppError } from '../../../shared/errors';
import type {
  JoinCode,
  JoinRequestView,
  SyncDevice,
  SyncProblem,
  SyncStatus,
} from '../../../shared/ipc/sync';
import { encodeBase64 } from '../../../shared/sync/base64';
import { clinicBucketId, type DeviceInfo, type PulledMessage } from '../../../shared/sync/protocol';
import type { ArgsOf, OutputOf } from '../../../shared/ipc/contract';
import { log } from '../log';
import type { OpenStore } from '../store-session';
import type { ApplyOutcome } from './apply';
import { RelayAuth } from './auth';
import {
  fingerprintOf,
  loadSyncCrypto,
  newDeviceKeys,
  newPairingCode,
  newRelayId,
  openClinicKey,
  sealClinicKey,
  type DeviceKeys,
} from './crypto';
import { DEFAULT_TIMING, SyncEngine, type SyncHost, type SyncTiming } from './engine';
import { refusedChanges } from './outbox';
import { HOLD_REASONS, type HoldReason } from './pull';
import {
  addClinicKey,
  countPending,
  countProblems,
  deviceKeysOf,
  keyColumns,
  readClinicKeys,
  readState,
  updateState,
  type SyncStateRow,
} from './state';
import { inTransaction, withConnection } from './store-access';
import { RelayRefusal, RelayTransport, RelayUnreachable, type FetchLike } from './transport';

export interface SyncOptions extends Partial<SyncTiming> {
  /** How requests reach the relay; Node's fetch by default. */
  fetch?: FetchLike;
  /** How often a joining workstation asks whether it was approved. */
  joinPollMs?: number;
}

/** What the service needs from the Core. */
export interface SyncServiceHost {
  withStore<T>(fn: (store: OpenStore) => Promise<T>): Promise<T>;
  now(): number;
  emit: {
    (event: 'patients.changed', payload: { ids: string[] }): void;
    (event: 'schedule.changed', payload: { setup: boolean }): void;
    (event: 'staff.changed', payload: { ids: string[] }): void;
    (event: 'sync.status', payload: SyncStatus): void;
  };
  /**
   * Hook for the appointment book after changes to it arrived. Conflicts are computed from the
   * merged data whenever the book or the inbox is read (services/scheduling-conflicts.ts), so
   * there is nothing to store: screens are told to refresh for the affected tables.
   */
  scheduleChanged?(tables: ReadonlySet<string>): void;
}

type SyncCommand =
  | 'sync.status'
  | 'sync.configure'
  | 'sync.createClinicOnRelay'
  | 'sync.startJoin'
  | 'sync.joinResult'
  | 'sync.pendingJoins'
  | 'sync.approveJoin'
  | 'sync.devices'
  | 'sync.revokeDevice'
  | 'sync.rejected'
  | 'sync.now';

export type SyncHandlers = { [N in SyncCommand]: (args: ArgsOf<N>) => Promise<OutputOf<N>> };

const SCHEDULE_SETUP_TABLES = new Set([
  'chair',
  'provider',
  'appointment_type',
  'opening_hours',
  'provider_hours',
  'closure',
  'scheduling_settings',
]);
const SCHEDULE_TABLES = new Set([
  ...SCHEDULE_SETUP_TABLES,
  'appointment',
  'appointment_status_change',
  'conflict_acknowledgement',
  'waitlist_entry',
  'recall',
]);

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

function toDevice(d: DeviceInfo, self: string | null): SyncDevice {
  return {
    id: d.id,
    name: d.name,
    status: d.status,
    createdAt: iso(d.createdAt)!,
    lastSeen: iso(d.lastSeen),
    thisDevice: d.id === self,
  };
}

/** Relay failures as the typed errors commands answer with, in words for staff. */
function asAppError(error: unknown): unknown {
  if (error instanceof RelayUnreachable)
    return new AppError(
      'CONFLICT',
      'The relay cannot be reached. Check the address and the network, then try again.',
    );
  if (error instanceof RelayRefusal) {
    const code =
      error.status === 404
        ? 'NOT_FOUND'
        : error.status === 403 || error.status === 401
          ? 'NOT_ALLOWED'
          : error.status === 400 || error.status === 413
            ? 'VALIDATION'
            : 'CONFLICT';
    return new AppError(code, `The relay refused: ${error.message}`);
  }
  return error;
}

async function relayCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw asAppError(error);
  }
}

/**
 * Sync for the Core: the sync commands, enrolment, and the engine's life with the session. The
 * engine runs while someone is signed in on an enrolled workstation; a joining one polls for its
 * approval meanwhile.
 */
export class SyncService {
  private engine: SyncEngine | null = null;
  private joinTimer: NodeJS.Timeout | null = null;
  private session = 0;
  private readonly timing: SyncTiming;
  private readonly fetch: FetchLike;

  constructor(
    private readonly host: SyncServiceHost,
    private readonly options: SyncOptions = {},
  ) {
    const { fetch: fetchImpl, joinPollMs: _joinPollMs, ...timing } = options;
    this.timing = { ...DEFAULT_TIMING, ...timing };
    this.fetch = fetchImpl ?? ((url, init) => fetch(url, init));
  }

  // -------------------------------------------------------------------------------------------
  // Life with the session

  /** Someone signed in: start syncing if this workstation is enrolled. Never throws. */
  sessionStarted(): void {
    const session = ++this.session;
    void this.resume(session).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'NOT_SIGNED_IN') return;
      log.error('sync did not start', { error: (error as Error)?.name ?? 'unknown' });
    });
  }

  sessionEnded(): void {
    this.session += 1;
    this.stopEngine();
    if (this.joinTimer) clearInterval(this.joinTimer);
    this.joinTimer = null;
  }

  /** A command succeeded: push what it wrote, soon. */
  afterCommand(): void {
    this.engine?.noteLocalChange();
  }

  private stopEngine(): void {
    this.engine?.stop();
    this.engine = null;
  }

  private async resume(session: number): Promise<void> {
    const state = await this.host.withStore((store) =>
      withConnection(store, () => readState(store.sqlite)),
    );
    if (session !== this.session) return;
    if (state.enrolment === 'enrolled') await this.startEngine(state);
    else if (state.enrolment === 'joining') this.pollJoin();
  }

  private transport(url: string): RelayTransport {
    return new RelayTransport({ baseUrl: url, fetch: this.fetch, now: () => this.host.now() });
  }

  private async startEngine(state: SyncStateRow): Promise<void> {
    const session = this.session;
    this.stopEngine();
    const keys = deviceKeysOf(state);
    const clinicKeys = await this.host.withStore((store) =>
      withConnection(store, () => readClinicKeys(store.sqlite)),
    );
    if (!keys || !clinicKeys || !state.relay_url || !state.clinic_id || !state.device_id) {
      log.warn('sync state incomplete: not starting', {});
      return;
    }
    const { sodium, crypto } = await loadSyncCrypto();
    // Signed out (or someone else signed in) while this was starting: not this session's engine.
    if (session !== this.session) return;
    this.stopEngine();
    const transport = this.transport(state.relay_url);
    const engineHost: SyncHost = {
      withStore: (fn) => this.host.withStore(fn),
      now: () => this.host.now(),
      changed: (outcome) => this.announce(outcome),
      statusChanged: () => this.publishStatus(),
      revoked: () => void this.markRevoked(),
    };
    this.engine = new SyncEngine(
      engineHost,
      {
        transport,
        auth: new RelayAuth(transport, state.device_id, keys.signingSecret, crypto, () =>
          this.host.now(),
        ),
        crypto,
        sodium,
        relayDevice: state.device_id,
        bucket: clinicBucketId(state.clinic_id),
        keys,
        clinicKeys,
      },
      this.timing,
    );
    this.engine.lastSyncAt = state.last_sync_at;
    this.engine.start();
    this.publishStatus();
  }

  private announce(outcome: ApplyOutcome): void {
    if (outcome.patients.size > 0)
      this.host.emit('patients.changed', { ids: [...outcome.patients] });
    let schedule = false;
    let setup = false;
    for (const t of outcome.tables) {
      schedule ||= SCHEDULE_TABLES.has(t);
      setup ||= SCHEDULE_SETUP_TABLES.has(t);
    }
    if (schedule) {
      this.host.scheduleChanged?.(outcome.tables);
      this.host.emit('schedule.changed', { setup });
    }
    if (outcome.tables.has('staff')) this.host.emit('staff.changed', { ids: [] });
  }

  private publishStatus(): void {
    void this.status().then(
      (status) => this.host.emit('sync.status', status),
      () => undefined,
    );
  }

  private async markRevoked(): Promise<void> {
    await this.host.withStore((store) =>
      inTransaction(store, () => updateState(store.sqlite, { enrolment: 'revoked' })),
    );
    this.publishStatus();
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  handlers(): SyncHandlers {
    return {
      'sync.status': () => this.status(),
      'sync.configure': (a) => this.configure(a.relayUrl),
      'sync.createClinicOnRelay': (a) => this.createClinicOnRelay(a.deviceName, a.setupSecret),
      'sync.startJoin': (a) => this.startJoin(a.relayUrl, a.clinicCode, a.deviceName),
      'sync.joinResult': () => this.joinResult(),
      'sync.pendingJoins': (a) => this.pendingJoins(a.code),
      'sync.approveJoin': (a) => this.approveJoin(a.code, a.fingerprint),
      'sync.devices': () => this.devices(),
      'sync.revokeDevice': (a) => this.revokeDevice(a.id),
      'sync.rejected': () => this.problems(),
      'sync.now': () => this.syncNow(),
    };
  }

  private readState(): Promise<SyncStateRow> {
    return this.host.withStore((store) => withConnection(store, () => readState(store.sqlite)));
  }

  async status(): Promise<SyncStatus> {
    const engine = this.engine;
    return this.host.withStore((store) =>
      withConnection(store, () => {
        const state = readState(store.sqlite);
        const enrolment =
          state.enrolment === 'creating'
            ? 'none'
            : (state.enrolment as Exclude<SyncStateRow['enrolment'], 'creating'>);
        const enrolled = state.enrolment === 'enrolled' || state.enrolment === 'revoked';
        const cursor = Number(state.cursor);
        const until =
          state.bootstrap_until === null
            ? null
            : Math.max(state.bootstrap_until, engine?.head ?? 0);
        return {
          enrolment,
          relayUrl: state.relay_url,
          clinicCode: enrolled ? state.clinic_id : null,
          deviceId: state.device_id,
          deviceName: state.device_name,
          connection:
            state.enrolment === 'enrolled' && engine && !engine.isStopped
              ? engine.connection
              : state.enrolment === 'revoked'
                ? 'offline'
                : 'off',
          pending: enrolled ? countPending(store.sqlite, store.deviceId, state) : 0,
          problems: countProblems(store.sqlite),
          lastSyncAt: engine?.lastSyncAt ?? state.last_sync_at,
          error:
            state.enrolment === 'revoked'
              ? 'The relay refuses this workstation: it was revoked. Changes made here are no longer sent.'
              : (engine?.error ?? null),
          bootstrap:
            until === null
              ? null
              : {
                  applied: Math.max(0, cursor - (state.bootstrap_from ?? 0)),
                  total: Math.max(0, until - (state.bootstrap_from ?? 0)),
                },
          join:
            state.enrolment === 'joining' && state.join_code && state.join_fingerprint
              ? {
                  code: state.join_code,
                  fingerprint: state.join_fingerprint,
                  expiresAt: iso(state.join_expires_at) ?? '',
                }
              : null,
        };
      }),
    );
  }

  private async configure(url: string): Promise<SyncStatus> {
    checkRelayUrl(url);
    const state = await this.readState();
    if (state.enrolment === 'joining')
      throw new AppError(
        'CONFLICT',
        'This workstation is waiting to join a clinic through its relay.',
      );
    await this.host.withStore((store) =>
      inTransaction(store, () => updateState(store.sqlite, { relay_url: url })),
    );
    if (state.enrolment === 'enrolled' && url !== state.relay_url)
      await this.startEngine({ ...state, relay_url: url });
    return this.status();
  }

  private async createClinicOnRelay(deviceName: string, setupSecret?: string): Promise<SyncStatus> {
    let state = await this.readState();
    if (
      state.enrolment === 'enrolled' ||
      state.enrolment === 'joining' ||
      state.enrolment === 'revoked'
    )
      throw new AppError('CONFLICT', 'This workstation already belongs to a clinic on a relay.');
    if (!state.relay_url)
      throw new AppError('VALIDATION', 'Enter the relay address first.', [
        { path: 'relayUrl', message: 'Enter the relay address' },
      ]);
    const { sodium, crypto } = await loadSyncCrypto();
    if (state.enrolment === 'none') {
      // Ids and keys are kept before asking the relay, so a retry after a lost answer is
      // recognised as the same clinic (the relay then knows our key) instead of a second one.
      const keys = newDeviceKeys(sodium);
      const clinicKey = sodium.randombytes_buf(32);
      const at = new Date(this.host.now()).toISOString();
      await this.host.withStore((store) =>
        inTransaction(store, () => {
          updateState(store.sqlite, {
            enrolment: 'creating',
            organisation_id: newRelayId(crypto),
            clinic_id: newRelayId(crypto),
            device_id: store.clock.node,
            device_name: deviceName,
            ...keyColumns(keys),
          });
          addClinicKey(store.sqlite, 'k1', clinicKey, at);
        }),
      );
      state = await this.readState();
    }
    const keys = deviceKeysOf(state)!;
    const transport = this.transport(state.relay_url ?? '');
    try {
      await transport.createClinic(
        {
          organisation: state.organisation_id!,
          clinic: state.clinic_id!,
          device: {
            id: state.device_id!,
            name: deviceName,
            signingKey: encodeBase64(keys.signingPublic),
            boxKey: encodeBase64(keys.boxPublic),
          },
        },
        setupSecret,
      );
    } catch (error) {
      const ours =
        error instanceof RelayRefusal &&
        error.code === 'CONFLICT' &&
        (await transport.signIn(state.device_id!, keys.signingSecret, crypto).then(
          () => true,
          () => false,
        ));
      if (!ours) throw asAppError(error);
    }
    await this.host.withStore((store) =>
      inTransaction(store, () =>
        updateState(store.sqlite, {
          enrolment: 'enrolled',
          device_name: deviceName,
          outbox_from: 0,
          cursor: '0',
          bootstrap_until: null,
        }),
      ),
    );
    log.info('clinic created on the relay', {});
    await this.startEngine(await this.readState());
    return this.status();
  }

  private async startJoin(url: string, clinic: string, deviceName: string): Promise<JoinCode> {
    checkRelayUrl(url);
    const state = await this.readState();
    if (
      state.enrolment === 'enrolled' ||
      state.enrolment === 'revoked' ||
      state.enrolment === 'creating'
    )
      throw new AppError('CONFLICT', 'This workstation already belongs to a clinic on a relay.');
    const records = await this.host.withStore((store) =>
      withConnection(
        store,
        () => store.sqlite.prepare('SELECT count(*) FROM patient').pluck().get() as number,
      ),
    );
    if (records > 0)
      throw new AppError(
        'CONFLICT',
        'This workstation already holds patient records. Only a new workstation can join a clinic.',
      );
    const { sodium, crypto } = await loadSyncCrypto();
    const keys = newDeviceKeys(sodium);
    const code = newPairingCode(crypto);
    const deviceId = await this.host.withStore(async (store) => store.clock.node);
    const created = await relayCall(() =>
      this.transport(url).requestEnrolment({
        code,
        clinic,
        device: {
          id: deviceId,
          name: deviceName,
          signingKey: encodeBase64(keys.signingPublic),
          boxKey: encodeBase64(keys.boxPublic),
        },
      }),
    );
    await this.host.withStore((store) =>
      inTransaction(store, () =>
        updateState(store.sqlite, {
          relay_url: url,
          enrolment: 'joining',
          clinic_id: clinic,
          device_id: deviceId,
          device_name: deviceName,
          ...keyColumns(keys),
          join_code: created.code,
          join_fingerprint: created.fingerprint,
          join_expires_at: created.expiresAt,
        }),
      ),
    );
    this.pollJoin();
    this.publishStatus();
    return {
      code: created.code,
      fingerprint: created.fingerprint,
      expiresAt: iso(created.expiresAt)!,
    };
  }

  private pollJoin(): void {
    if (!this.timing.background || this.joinTimer) return;
    const session = this.session;
    this.joinTimer = setInterval(() => {
      if (session !== this.session) return;
      void this.joinResult().catch(() => undefined);
    }, this.options.joinPollMs ?? 2_000);
  }

  private async joinResult(): Promise<SyncStatus> {
    const state = await this.readState();
    if (state.enrolment !== 'joining' || !state.join_code || !state.relay_url) return this.status();
    const result = await relayCall(() =>
      this.transport(state.relay_url!).enrolmentResult(state.join_code!),
    );
    if (result.status === 'pending') return this.status();
    if (this.joinTimer) clearInterval(this.joinTimer);
    this.joinTimer = null;
    if (result.status !== 'approved') {
      await this.host.withStore((store) =>
        inTransaction(store, () =>
          updateState(store.sqlite, {
            enrolment: 'none',
            join_code: null,
            join_fingerprint: null,
            join_expires_at: null,
          }),
        ),
      );
      throw new AppError(
        'CONFLICT',
        'The request to join expired before it was approved. Start again to get a new pairing code.',
      );
    }
    const keys = deviceKeysOf(state)!;
    const { sodium } = await loadSyncCrypto();
    let clinicKey: Uint8Array;
    try {
      clinicKey = openClinicKey(sodium, result.sealedClinicKey, keys);
    } catch {
      throw new AppError(
        'CONFLICT',
        'The clinic key that came with the approval does not open with this workstation’s key.',
      );
    }
    const organisation = result.buckets.organisation.replace(/^org\./, '');
    const at = new Date(this.host.now()).toISOString();
    await this.host.withStore((store) =>
      inTransaction(store, () => {
        // Everything recorded here before joining (the set-up account and clinic) stays here.
        const last = store.sqlite.prepare('SELECT max(seq) FROM change_log').pluck().get() as
          number | null;
        addClinicKey(store.sqlite, result.keyId, clinicKey, at);
        updateState(store.sqlite, {
          enrolment: 'enrolled',
          organisation_id: organisation,
          clinic_id: result.clinic,
          outbox_from: last ?? 0,
          prepared_through: last ?? 0,
          next_device_seq: 1,
          cursor: '0',
          bootstrap_from: 0,
          bootstrap_until: 0,
          local_clinic_id: store.clinic?.id ?? null,
          join_code: null,
          join_fingerprint: null,
          join_expires_at: null,
        });
      }),
    );
    log.info('joined a clinic', {});
    await this.startEngine(await this.readState());
    return this.status();
  }

  /** An enrolled workstation's signed-in access to the relay for one command. */
  private async adminAccess(): Promise<{ auth: RelayAuth; state: SyncStateRow; keys: DeviceKeys }> {
    const state = await this.readState();
    const keys = deviceKeysOf(state);
    if (state.enrolment !== 'enrolled' || !keys || !state.relay_url || !state.device_id)
      throw new AppError('CONFLICT', 'This workstation is not enrolled with a relay yet.');
    const { crypto } = await loadSyncCrypto();
    const transport = this.transport(state.relay_url);
    return {
      auth: new RelayAuth(transport, state.device_id, keys.signingSecret, crypto, () =>
        this.host.now(),
      ),
      state,
      keys,
    };
  }

  private async pendingJoins(code: string): Promise<JoinRequestView[]> {
    const { auth } = await this.adminAccess();
    const { crypto } = await loadSyncCrypto();
    try {
      const view = await auth.run((token) => auth.transport.viewEnrolment(token, code));
      return [
        {
          code: view.code,
          deviceId: view.device.id,
          deviceName: view.device.name,
          fingerprint: fingerprintOf(crypto, view),
          status: view.status,
          expiresAt: iso(view.expiresAt)!,
        },
      ];
    } catch (error) {
      if (error instanceof RelayRefusal && error.status === 404) return [];
      throw asAppError(error);
    }
  }

  private async approveJoin(code: string, fingerprint: string): Promise<SyncDevice> {
    const { auth, state } = await this.adminAccess();
    const { sodium, crypto } = await loadSyncCrypto();
    const view = await relayCall(() =>
      auth.run((token) => auth.transport.viewEnrolment(token, code)),
    );
    // Computed here from the keys the relay hands over: a relay that swapped them is caught.
    const expected = fingerprintOf(crypto, view).replace(/\s/g, '');
    if (expected !== fingerprint)
      throw new AppError(
        'VALIDATION',
        'The fingerprint does not match this request. Do not approve: check the new workstation’s screen.',
        [{ path: 'fingerprint', message: 'Does not match' }],
      );
    if (view.status !== 'pending')
      throw new AppError(
        'CONFLICT',
        view.status === 'approved'
          ? 'This workstation was already approved.'
          : 'This request has expired. Start again on the new workstation.',
      );
    const clinicKeys = await this.host.withStore((store) =>
      withConnection(store, () => readClinicKeys(store.sqlite)),
    );
    const key = clinicKeys?.byId.get(clinicKeys.currentId);
    if (!clinicKeys || !key) throw new AppError('CONFLICT', 'This workstation has no clinic key.');
    const device = await relayCall(() =>
      auth.run((token) =>
        auth.transport.approveEnrolment(token, code, {
          sealedClinicKey: sealClinicKey(sodium, key, view.boxKey),
          keyId: clinicKeys.currentId,
        }),
      ),
    );
    log.info('workstation approved', { device: device.id });
    return toDevice(device, state.device_id);
  }

  private async devices(): Promise<SyncDevice[]> {
    const { auth, state } = await this.adminAccess();
    const devices = await relayCall(() => auth.run((token) => auth.transport.devices(token)));
    return devices.map((d) => toDevice(d, state.device_id));
  }

  private async revokeDevice(id: string): Promise<SyncDevice> {
    const { auth, state } = await this.adminAccess();
    if (id === state.device_id)
      throw new AppError('CONFLICT', 'Revoke this workstation from another enrolled one.');
    const device = await relayCall(() => auth.run((token) => auth.transport.revoke(token, id)));
    log.info('workstation revoked', { device: id });
    return toDevice(device, state.device_id);
  }

  private async problems(): Promise<SyncProblem[]> {
    return this.host.withStore((store) =>
      withConnection(store, () => {
        const outgoing = refusedChanges(store.sqlite);
        const incoming = store.sqlite
          .prepare('SELECT message, reason, held_at FROM sync_held ORDER BY server_seq LIMIT 500')
          .all() as Array<{ message: string; reason: HoldReason; held_at: string }>;
        const header = (text: string) => (JSON.parse(text) as PulledMessage).header;
        return [
          ...outgoing.map((r) => ({
            direction: 'outgoing' as const,
            table: r.table_name,
            rowId: r.row_id,
            code: r.code,
            reason: r.reason,
            at: r.updated_at,
            retrying: r.code === 'CLOCK_SKEW',
          })),
          ...incoming.map((r) => ({
            direction: 'incoming' as const,
            table: header(r.message).table,
            rowId: header(r.message).rowId,
            code: r.reason.toUpperCase(),
            reason: HOLD_REASONS[r.reason],
            at: r.held_at,
            retrying: r.reason === 'schema' || r.reason === 'clock' || r.reason === 'key',
          })),
        ];
      }),
    );
  }

  private async syncNow(): Promise<SyncStatus> {
    const state = await this.readState();
    if (state.enrolment === 'joining') return this.joinResult();
    if (state.enrolment !== 'enrolled')
      throw new AppError('CONFLICT', 'This workstation is not enrolled with a relay yet.');
    if (!this.engine || this.engine.isStopped) await this.startEngine(state);
    await this.engine?.kick();
    return this.status();
  }
}

function checkRelayUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL('invalid:');
  }
  if (
    (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') ||
    parsed.username ||
    parsed.password ||
    parsed.search ||
    parsed.hash
  )
    throw new AppError('VALIDATION', 'Enter the relay address, e.g. https://relay.example.org', [
      { path: 'relayUrl', message: 'Not a relay address' },
    ]);
}
