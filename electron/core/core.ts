import fs from 'node:fs';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { AppError, type AppErrorShape, type Result } from '../../shared/errors';
import type { AppStatus, Session, SetupResult } from '../../shared/domain/clinic';
import { checkPasswordStrength } from '../../shared/password';
import {
  findCommand,
  type AppEvents,
  type ArgsOf,
  type CommandName,
  type EventName,
  type InputOf,
  type OutputOf,
} from '../../shared/ipc/contract';
import { IDLE_LOCK_MINUTES, type SecuritySettings, type StaffMember } from '../../shared/ipc/staff';
import {
  createRecovery,
  createStaffEntry,
  DEFAULT_KDF,
  newRecoveryKey,
  openSealedStoreKey,
  rewrapStaffEntry,
  storeKeyCheck,
  unlockWithRecoveryKey,
  unwrapSecretKey,
  type KdfParams,
  type KeyringFile,
  type StaffKeyEntry,
} from './crypto/keyring';
import {
  completePendingRotation,
  rotateStoreKey,
  type KeyCandidate,
  type StepHook,
} from './crypto/rotation';
import {
  KeyringFiles,
  NO_DEVICE_BINDING,
  type DeviceBinding,
  type LoadedKeyring,
} from './keyring-protector';
import * as staff from './services/staff';
import { SignInThrottle } from './throttle';
import { writeFileAtomic } from './crypto/atomic-file';
import { loadSodium, wipe } from './crypto/sodium';
import { insertRecord } from './db/changes';
import { createStore, mapStoreError } from './db/store';
import { storePaths, type StorePaths } from './paths';
import type { ServiceContext } from './services/context';
import * as access from './services/access';
import * as audit from './services/audit';
import {
  appendAudit,
  appendAuditAlone,
  auditHolds,
  type AppendedEvent,
  type AuditEntry,
  type CommandEvent,
} from './audit/append';
import * as patients from './services/patients';
import { schedulingHandlers } from './services/scheduling';
import {
  loadStaffSession,
  OpenStore,
  removeOrphanStore,
  setAsideOrphanStore,
} from './store-session';
import { log } from './log';
import { SyncService, type SyncOptions } from './sync/service';

export interface CoreOptions {
  dataDir: string;
  /** Wall clock; tests inject a fake one. */
  now?: () => number;
  /** Argon2id parameters for new keyring entries. Production default: 3 passes, 64 MiB. */
  kdf?: KdfParams;
  /** The device keystore the host offers for the keyring (Electron safeStorage), if any. */
  deviceBinding?: DeviceBinding;
  /** Called at each step of a store key rotation; crash tests throw from it. */
  onRotationStep?: StepHook;
  /** Sync with the relay: timers, and how requests travel (tests pass a fake fetch). */
  sync?: SyncOptions;
  /**
   * Benchmarks only: lets `setAuditForBenchmark` turn the audit trail off, so bench/foundation.ts
   * can time the same commands with and without it (audit_overhead_ratio). The Electron and web
   * hosts never pass it, and no command or setting reaches it.
   */
  benchmarkAuditSwitch?: boolean;
}

/**
 * Commands that change keys or the session run alone: no other command runs while they do (a
 * rotation closes and swaps the database file), and sign-in attempts are taken one at a time so
 * the throttle cannot be raced.
 */
const EXCLUSIVE_COMMANDS: ReadonlySet<CommandName> = new Set<CommandName>([
  'setup.createClinic',
  'session.login',
  'session.recover',
  'session.logout',
  'session.lock',
  'session.changePassword',
  'staff.add',
  'staff.update',
  'staff.disable',
  'staff.enable',
  'staff.remove',
  'staff.replaceRecoveryKey',
  'settings.setIdleLock',
]);

/** Workstation settings: not secret, readable before sign-in (the idle lock applies to all). */
const settingsFile = z.object({
  idleLockMinutes: z
    .number()
    .int()
    .min(IDLE_LOCK_MINUTES.min)
    .max(IDLE_LOCK_MINUTES.max)
    .catch(IDLE_LOCK_MINUTES.default),
});
type WorkstationSettings = z.infer<typeof settingsFile>;

const wrongCredentials = () =>
  new AppError('WRONG_CREDENTIALS', 'The username or password is not right.');

type Handler<N extends CommandName> = (args: ArgsOf<N>) => Promise<OutputOf<N>>;
type Listener = <E extends EventName>(event: E, payload: AppEvents[E]) => void;

/**
 * The desktop backend, with no Electron import: it owns the keyring, the encrypted store and the
 * staff session, and runs every command. Electron main, the web host and tests all drive it
 * through `dispatch`, which parses arguments with the command's zod schema and checks the role.
 */
export class Core {
  readonly paths: StorePaths;
  private store: OpenStore | null = null;
  private session: Session | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly now: () => number;
  private readonly kdf: KdfParams;
  private readonly handlers: { [N in CommandName]: Handler<N> };
  private readonly files: KeyringFiles;
  private readonly throttle: SignInThrottle;
  private readonly gate = new CommandGate();
  private readonly onRotationStep: StepHook | undefined;
  private readonly benchmarkAuditSwitch: boolean;
  private auditOffForBenchmark = false;
  /** The event of the command whose handler is being called, for `ctx()` (see runHandler). */
  private startingCommand: CommandEvent | null = null;
  private lockedBy: AppStatus['lockedBy'] = null;
  readonly sync: SyncService;

  constructor(options: CoreOptions) {
    this.paths = storePaths(options.dataDir);
    this.now = options.now ?? Date.now;
    this.kdf = options.kdf ?? DEFAULT_KDF;
    this.files = new KeyringFiles(this.paths.keyring, options.deviceBinding ?? NO_DEVICE_BINDING);
    this.throttle = new SignInThrottle(
      path.join(this.paths.dir, 'sign-in-attempts.json'),
      this.now,
    );
    this.onRotationStep = options.onRotationStep;
    this.benchmarkAuditSwitch = options.benchmarkAuditSwitch === true;
    fs.mkdirSync(this.paths.dir, { recursive: true, mode: 0o700 });
    this.sync = new SyncService(
      {
        // One step at a time with other commands, so a sign-out or a key rotation never
        // closes the store under a sync step (steps never wait on the network).
        withStore: (fn) =>
          this.gate.shared(async () => {
            if (!this.store || !this.session)
              throw new AppError('NOT_SIGNED_IN', 'Please sign in first.');
            return fn(this.store);
          }),
        now: () => this.now(),
        emit: (event: EventName, payload: unknown) =>
          this.emit(event, payload as AppEvents[typeof event]),
      },
      options.sync,
    );
    this.handlers = {
      'app.status': () => this.status(),
      'setup.createClinic': (a) => this.setup(a),
      'setup.checkPassword': async (a) => checkPasswordStrength(a.password, a.userInputs),
      'session.login': (a) => this.signIn(a.username, a.password),
      'session.recover': (a) => this.recoverAccount(a.recoveryKey, a.username, a.newPassword),
      'session.logout': async () => {
        await this.endSession('logout');
        return null;
      },
      'session.lock': async () => {
        await this.endSession('locked');
        return null;
      },
      'session.changePassword': (a) => this.changePassword(a.currentPassword, a.newPassword),
      'staff.list': () => this.listStaff(),
      'staff.add': (a) => this.addStaff(a),
      'staff.update': (a) => this.updateStaff(a.id, a.patch),
      'staff.disable': (a) => this.withdrawStaff(a.id, 'disabled'),
      'staff.enable': (a) => this.enableStaff(a.id, a.password),
      'staff.remove': (a) => this.withdrawStaff(a.id, 'removed'),
      'staff.replaceRecoveryKey': (a) => this.replaceRecoveryKey(a.password),
      'settings.security': () => this.securitySettings(),
      'settings.setIdleLock': (a) => {
        this.writeSettings({ ...this.readSettings(), idleLockMinutes: a.minutes });
        return this.securitySettings();
      },
      'patients.search': (a) => patients.searchPatients(this.ctx(), a.query, a.limit),
      'patients.list': (a) =>
        patients.listPatients(this.ctx(), a.offset, a.limit, a.includeArchived),
      'patients.get': (a) => access.openPatient(this.ctx(), this.viewer(), a.id),
      'patients.findDuplicates': (a) => patients.findDuplicates(this.ctx(), a),
      'patients.create': (a) =>
        access.createPatient(this.ctx(), this.viewer(), a.patient, a.duplicatesReviewed),
      'patients.update': (a) => access.updatePatient(this.ctx(), this.viewer(), a.id, a.patch),
      'patients.archive': (a) => access.archivePatient(this.ctx(), this.viewer(), a.id),
      'patients.history': (a) => access.patientHistory(this.ctx(), this.viewer(), a.id),
      'audit.list': async (a) => {
        const ctx = this.ctx();
        await this.recordRead(ctx, { action: 'audit.view' });
        return audit.listAudit(ctx.db, a, ctx.clinic.timeZone);
      },
      'audit.export': async (a) => {
        const ctx = this.ctx();
        const result = await audit.exportAuditCsv(ctx.db, a, ctx.clinic.timeZone);
        await this.recordRead(ctx, { action: 'audit.export', fields: [`rows:${result.rows}`] });
        return result;
      },
      'audit.verify': () => audit.verifyAudit(this.ctx().db, this.auditAnchorPath),
      'access.breakGlass': (a) => access.breakGlass(this.ctx(), a.patientId, a.reason),
      'access.listBreakGlass': (a) => access.listGrants(this.ctx(), a.unreviewedOnly),
      'access.reviewBreakGlass': (a) => access.reviewGrant(this.ctx(), a.id),
      ...schedulingHandlers(() => this.ctx()),
      ...this.sync.handlers(),
    };
  }

  /**
   * Runs one command and returns an envelope; never throws. Unknown names (including `__proto__`),
   * bad arguments, a missing session or a role without the permission are typed errors, and
   * nothing is written.
   */
  async dispatch(name: unknown, args: unknown): Promise<Result<unknown>> {
    const spec = findCommand(name);
    if (!spec)
      return {
        ok: false,
        error: { code: 'UNKNOWN_COMMAND', message: 'This action is not available.' },
      };
    const refused = this.refusal(spec);
    // A break-glass read is decided once its patient id is known (in runHandler).
    if (refused && !(refused.code === 'NOT_ALLOWED' && spec.breakGlass))
      return { ok: false, error: refused };
    const parsed = spec.input.safeParse(args ?? {});
    if (!parsed.success) {
      if (refused) return { ok: false, error: refused };
      return {
        ok: false,
        error: {
          code: 'VALIDATION',
          message: 'Some details need attention.',
          fields: parsed.error.issues.slice(0, 20).map((i) => ({
            path: i.path.map(String).join('.').slice(0, 200) || '(input)',
            // zod lists every unexpected key in one message: bound what is echoed back.
            message: i.message.length > 200 ? `${i.message.slice(0, 199)}…` : i.message,
          })),
        },
      };
    }
    // Sync commands wait on the relay: they take the gate per database step instead (see
    // SyncService), so a slow network never holds back a sign-out.
    const run = EXCLUSIVE_COMMANDS.has(name as CommandName)
      ? <T>(fn: () => Promise<T>) => this.gate.exclusive(fn)
      : (name as string).startsWith('sync.')
        ? <T>(fn: () => Promise<T>) => fn()
        : <T>(fn: () => Promise<T>) => this.gate.shared(fn);
    return run(() => this.runHandler(name as CommandName, spec, parsed.data));
  }

  private async runHandler(
    name: CommandName,
    spec: NonNullable<ReturnType<typeof findCommand>>,
    args: unknown,
  ): Promise<Result<unknown>> {
    // Checked again now that the command has its turn: a lock or a removal may have run first.
    const refused = this.refusal(spec);
    if (
      refused &&
      !(refused.code === 'NOT_ALLOWED' && spec.breakGlass && (await this.holdsGrant(args)))
    )
      return { ok: false, error: refused };
    try {
      const handler = this.handlers[name] as (a: unknown) => Promise<unknown>;
      const audited = spec.touchesPatientData && this.store !== null && this.session !== null;
      const command = audited ? commandEventFor(name, args) : null;
      // `ctx()` hands the command's event to the writer: handlers call it as they start, before
      // their first await, and no other command can run in between.
      this.startingCommand = command;
      let running: Promise<unknown>;
      try {
        running = handler(args);
      } finally {
        this.startingCommand = null;
      }
      const value = await running;
      this.sync.afterCommand();
      // Every command that reads or writes patient data leaves an event before its result is
      // returned: if the event cannot be written, nothing is shown. A write whose patient is
      // known from its arguments has it in the transaction of its first change (one commit for
      // both); everything else gets it now, in a transaction of its own.
      if (
        audited &&
        this.store &&
        this.session &&
        !(command?.appended && (await this.holdsEvent(command.appended)))
      )
        await this.auditCommand(name, args, value);
      return { ok: true, value };
    } catch (e) {
      const mapped = mapStoreError(e);
      if (mapped instanceof AppError) return { ok: false, error: mapped.toJSON() };
      // Details go to the log by error class only: messages may quote data.
      log.error('command failed', {
        command: String(name),
        error: (e as Error)?.name ?? 'unknown',
      });
      return {
        ok: false,
        error: {
          code: 'INTERNAL',
          message: 'Something went wrong. Nothing was saved. Please try again.',
        },
      };
    }
  }

  /**
   * Session events (sign-in, lock, password and key changes) in the audit trail. Failed sign-ins
   * happen while the store is closed: they wait in a small file (times only, no usernames) and
   * are written at the next successful sign-in.
   */
  private async auditSession(action: string, fields: string[] = []): Promise<void> {
    if (!this.store || !this.session) return;
    const ctx = this.ctx();
    const pending = this.readPendingAudit();
    await ctx.db.transaction().execute(async (tx) => {
      for (const p of pending) {
        await appendAudit(
          tx,
          { ...ctx.writer, actorId: null },
          { action: p.action, fields: [`at:${p.at}`] },
        );
      }
      await appendAudit(tx, ctx.writer, { action, fields });
    });
    if (pending.length > 0) fs.rmSync(this.pendingAuditPath, { force: true });
  }

  private get pendingAuditPath(): string {
    return path.join(this.paths.dir, 'audit-pending.json');
  }

  private notePendingAudit(action: string): void {
    try {
      const list = this.readPendingAudit();
      list.push({ action, at: new Date(this.now()).toISOString() });
      writeFileAtomic(this.pendingAuditPath, JSON.stringify(list.slice(-1000)));
    } catch (e) {
      log.warn('could not note a failed sign-in for the audit trail', {
        error: (e as Error)?.name ?? 'unknown',
      });
    }
  }

  private readPendingAudit(): Array<{ action: string; at: string }> {
    try {
      const parsed = z
        .array(z.object({ action: z.string().max(60), at: z.string().max(40) }))
        .parse(JSON.parse(fs.readFileSync(this.pendingAuditPath, 'utf8')));
      return parsed;
    } catch {
      return [];
    }
  }

  /** Where the newest audit checkpoint is copied outside the store. */
  get auditAnchorPath(): string {
    return path.join(this.paths.dir, 'audit-anchor.json');
  }

  /** Audits a read (or another action that writes nothing else) in its own transaction. */
  private async recordRead(ctx: ServiceContext, entry: AuditEntry): Promise<void> {
    const { store } = this.signedIn();
    await appendAuditAlone(ctx.db, store.sqlite, ctx.writer, entry);
  }

  /**
   * Benchmarks only (see `CoreOptions.benchmarkAuditSwitch`): with `false`, commands run without
   * writing audit events until it is called with `true`. Refused on any other Core.
   */
  setAuditForBenchmark(on: boolean): void {
    if (!this.benchmarkAuditSwitch)
      throw new Error('The audit trail can only be switched off in benchmarks');
    this.auditOffForBenchmark = !on;
  }

  private async holdsEvent(event: AppendedEvent): Promise<boolean> {
    const { store } = this.signedIn();
    return auditHolds(store.db, store.sqlite, event);
  }

  private async auditCommand(name: CommandName, args: unknown, value: unknown): Promise<void> {
    const v = (value ?? {}) as {
      id?: unknown;
      items?: unknown;
      patientId?: unknown;
      appointment?: { patientId?: unknown };
      appointments?: Array<{ patientId?: unknown }>;
    };
    // The patient the command concerned: from its arguments, or from what it returned (an
    // appointment names its patient). A conflict between two patients' bookings names neither.
    const patients = new Set(
      [
        v.patientId,
        v.appointment?.patientId,
        ...(v.appointments ?? []).map((x) => x?.patientId),
      ].filter((x): x is string => typeof x === 'string'),
    );
    const subject =
      subjectFromArgs(name, args) ??
      (name === 'patients.create' && typeof v.id === 'string'
        ? v.id
        : patients.size === 1
          ? [...patients][0]!
          : null);
    const fields = Array.isArray(v.items)
      ? [`results:${v.items.length}`]
      : Array.isArray(value)
        ? [`results:${value.length}`]
        : null;
    await this.recordRead(this.ctx(), { action: name, subjectId: subject, fields });
  }

  /** Why the current session may not run `spec`, or null when it may. */
  private refusal(spec: NonNullable<ReturnType<typeof findCommand>>): AppErrorShape | null {
    if (spec.roles === 'public') return null;
    if (!this.session || !this.store)
      return { code: 'NOT_SIGNED_IN', message: 'Please sign in first.' };
    if (spec.roles !== 'signed-in' && !spec.roles.includes(this.session.role)) {
      return { code: 'NOT_ALLOWED', message: 'Your role does not allow this action.' };
    }
    return null;
  }

  /** An unexpired emergency-access grant of the session's user for the patient in `args.id`. */
  private async holdsGrant(args: unknown): Promise<boolean> {
    const patientId = (args as { id?: unknown } | null)?.id;
    if (!this.store || !this.session || typeof patientId !== 'string') return false;
    return access.hasActiveGrant(
      this.store.db,
      this.session.userId,
      patientId,
      new Date(this.now()),
    );
  }

  /** Typed call for hosts and tests: throws the AppError on failure. */
  async call<N extends CommandName>(name: N, args: InputOf<N>): Promise<OutputOf<N>> {
    const result = await this.dispatch(name, args);
    if (!result.ok) {
      const error = AppError.from(result.error);
      error.message = error.describe();
      throw error;
    }
    return result.value as OutputOf<N>;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit: ServiceContext['emit'] = (event, payload) => {
    for (const l of this.listeners) l(event, payload);
  };

  get currentSession(): Session | null {
    return this.session;
  }

  /** The open store, for the CLI and tests. */
  get openStore(): OpenStore | null {
    return this.store;
  }

  private ctx(): ServiceContext {
    if (!this.store || !this.session || !this.store.clinic)
      throw new AppError('NOT_SIGNED_IN', 'Please sign in first.');
    const sqlite = this.store.sqlite;
    return {
      db: this.store.db,
      sqlite,
      writer: {
        ...this.store.writer(this.session.userId, () => new Date(this.now())),
        sqlite,
        ...(this.auditOffForBenchmark ? { auditOffForBenchmark: true as const } : {}),
        ...(this.startingCommand ? { command: this.startingCommand } : {}),
      },
      clinic: this.store.clinic,
      emit: this.emit,
    };
  }

  /** Who is asking, for what a role sees of a patient record (services/access.ts). */
  private viewer(): access.Viewer {
    const { session } = this.signedIn();
    return { userId: session.userId, role: session.role };
  }

  private async keyring(): Promise<KeyringFile | null> {
    return (await this.files.read())?.keyring ?? null;
  }

  async status(): Promise<AppStatus> {
    const keyring = await this.keyring();
    return {
      setUp: keyring !== null,
      session: this.session,
      idleLockMinutes: this.readSettings().idleLockMinutes,
      lockedBy: this.session ? null : this.lockedBy,
      clinic:
        this.store?.clinic ??
        (keyring
          ? {
              id: keyring.storeId,
              name: keyring.clinicName,
              timeZone: '',
              country: '',
              locale: '',
              ageOfConsent: 16,
            }
          : null),
    };
  }

  private async setup(input: ArgsOf<'setup.createClinic'>): Promise<SetupResult> {
    if (await this.keyring())
      throw new AppError('ALREADY_SET_UP', 'This workstation is already set up. Sign in instead.');
    const strength = checkPasswordStrength(input.admin.password, [
      input.admin.username,
      input.admin.displayName,
      input.clinic.name,
    ]);
    if (!strength.acceptable) {
      throw new AppError('WEAK_PASSWORD', strength.warning || 'Choose a stronger password.', [
        { path: 'admin.password', message: strength.warning || 'Too weak' },
      ]);
    }
    const s = await loadSodium();
    const aside = setAsideOrphanStore(this.paths.database, this.now());
    if (aside) log.warn('a data file without a keyring was set aside', { file: aside });
    const storeKey = s.randombytes_buf(32);
    const storeId = uuidv7();
    const userId = uuidv7();
    const at = new Date(this.now());
    let store: OpenStore | null = null;
    try {
      const recovery = await createRecovery(storeKey);
      const staffEntry = await createStaffEntry(
        userId,
        input.admin.username,
        input.admin.password,
        storeKey,
        this.kdf,
      );
      store = await OpenStore.fromSqlite(
        createStore(this.paths.database, storeKey),
        storeKey,
        this.now,
      );
      const writer = store.writer(userId, () => at);
      await store.db.transaction().execute(async (tx) => {
        await tx.insertInto('meta').values({ key: 'store_id', value: storeId }).execute();
        await insertRecord(tx, writer, 'clinic', {
          id: storeId,
          name: input.clinic.name,
          time_zone: input.clinic.timeZone,
          country: input.clinic.country,
          locale: input.clinic.locale,
          age_of_consent: input.clinic.ageOfConsent,
        });
        await insertRecord(tx, writer, 'staff', {
          id: userId,
          username: input.admin.username,
          display_name: input.admin.displayName,
          role: 'practice_manager',
          status: 'active',
        });
      });
      // The keyring is the commit point: until it exists the store cannot be opened, and a new
      // setup clears the orphan.
      await this.files.write({
        format: 'enamel-keyring',
        version: 1,
        storeId,
        storeKeyCheck: await storeKeyCheck(storeKey, storeId),
        clinicName: input.clinic.name,
        staff: [staffEntry],
        recovery: recovery.entry,
      });
      store.clinic = { id: storeId, ...input.clinic };
      this.store = store;
      this.session = await loadStaffSession(store, userId, at);
      this.sync.sessionStarted();
      log.info('clinic set up', { storeId });
      return { recoveryKey: recovery.recoveryKey, session: this.session };
    } catch (e) {
      await store?.close();
      if (!(await this.keyring())) removeOrphanStore(this.paths.database);
      throw e;
    } finally {
      wipe(storeKey);
    }
  }

  /**
   * Opens the store with whichever key works. When keyring.json.next exists a rotation was
   * interrupted: it is finished first (see crypto/rotation.ts). The previous session, if any, ends
   * without an announcement: the caller reports the new one.
   */
  private async openStoreWith(
    current: KeyCandidate,
    next: KeyCandidate | null,
  ): Promise<OpenStore> {
    await this.endSession('locked', false);
    const chosen = next
      ? completePendingRotation(this.files, this.paths.database, current, next)
      : current.key
        ? { keyring: current.keyring, key: current.key }
        : null;
    if (!chosen) throw wrongCredentials();
    return OpenStore.open(this.paths.database, chosen.key, chosen.keyring, this.now);
  }

  private async readKeyrings(): Promise<{ current: LoadedKeyring; next: LoadedKeyring | null }> {
    const current = await this.files.read();
    if (!current) throw new AppError('NOT_SET_UP', 'This workstation is not set up yet.');
    let next: LoadedKeyring | null = null;
    if (this.files.hasNext()) {
      try {
        next = await this.files.readNext();
      } catch (e) {
        // Written atomically, so only damage gets here; the old keyring may still open the store.
        if (!(e instanceof AppError)) throw e;
        log.warn('pending keyring unreadable', {});
      }
    }
    return { current, next };
  }

  /** Public entry for hosts and tests; the `session.login` command runs `signIn` in the gate. */
  login(username: string, password: string): Promise<Session> {
    return this.gate.exclusive(() => this.signIn(username, password));
  }

  /**
   * Sign-in, also to unlock a locked workstation or to switch to another member of staff. Throttled
   * per username (known or not); an unknown username, a wrong password and a disabled account all
   * get the same answer after the same Argon2id work.
   */
  private async signIn(username: string, password: string): Promise<Session> {
    const { current, next } = await this.readKeyrings();
    this.throttle.check(username);
    if (current.staffUnavailable) {
      throw new AppError(
        'STORE_LOCKED',
        "Staff passwords on this workstation are locked to the computer's keystore, which cannot be reached now. Use the recovery key to get in.",
      );
    }
    const entry =
      current.keyring.staff.find((e) => e.username === username) ??
      next?.keyring.staff.find((e) => e.username === username) ??
      null;
    const secretKey = await unwrapSecretKey(entry, password, this.kdf);
    if (!secretKey || !entry) {
      this.throttle.fail(username);
      this.notePendingAudit('session.login_failed');
      log.info('sign-in failed', {});
      throw wrongCredentials();
    }
    const keys: Array<Uint8Array | null> = [];
    try {
      // One key pair per person: the same secret key opens their entry in either keyring.
      const unseal = async (ring: LoadedKeyring | null) => {
        const own = ring?.keyring.staff.find((e) => e.userId === entry.userId);
        const key =
          own && own.publicKey === entry.publicKey
            ? await openSealedStoreKey(own, secretKey)
            : null;
        keys.push(key);
        return key;
      };
      const currentKey = await unseal(current);
      const nextKey = next ? await unseal(next) : null;
      const store = await this.openStoreWith(
        { keyring: current.keyring, key: currentKey },
        next ? { keyring: next.keyring, key: nextKey } : null,
      );
      const session = await this.startSession(store, entry.userId);
      this.throttle.succeed(username);
      log.info('signed in', { userId: session.userId });
      try {
        await this.auditSession('session.login');
        await this.afterSignIn();
      } catch (e) {
        // A sign-in that cannot be recorded (a damaged page, say) does not stay open.
        await this.endSession('logout', false);
        throw e;
      }
      return session;
    } catch (e) {
      if (e instanceof AppError && e.code === 'WRONG_CREDENTIALS') this.throttle.fail(username);
      throw e;
    } finally {
      wipe(secretKey, ...keys);
    }
  }

  private async startSession(store: OpenStore, userId: string): Promise<Session> {
    try {
      const session = await loadStaffSession(store, userId, new Date(this.now()));
      this.store = store;
      this.session = session;
      this.lockedBy = null;
      this.sync.sessionStarted();
      return session;
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  /**
   * Tidies the keyring once someone is in: a recovery key replacement that never reached the
   * screen is dropped (the clinic still holds the old one), a plain keyring is bound to the device
   * keystore when the host has one, usernames follow renames, and anyone whose account was
   * disabled or removed while a change was cut short loses their entry (with a key rotation).
   */
  private async afterSignIn(): Promise<void> {
    const loaded = await this.files.read();
    if (!loaded || loaded.staffUnavailable || !this.store) return;
    let keyring = loaded.keyring;
    const rows = await staff.listStaffRows(this.store.db);
    const byId = new Map(rows.map((r) => [r.id, r]));
    let changed = false;
    if (keyring.pendingRecovery) {
      const { pendingRecovery: _unshown, ...rest } = keyring;
      keyring = rest;
      changed = true;
      log.warn('unfinished recovery key replacement dropped', {});
    }
    const renamed = keyring.staff.map((e) => {
      const row = byId.get(e.userId);
      return row && row.username !== e.username ? { ...e, username: row.username } : e;
    });
    if (renamed.some((e, i) => e !== keyring.staff[i])) {
      keyring = { ...keyring, staff: renamed };
      changed = true;
    }
    if (changed || (this.files.protector && !loaded.bound)) await this.files.write(keyring);
    const withdrawn = keyring.staff
      .filter((e) => {
        const status = byId.get(e.userId)?.status;
        return status !== undefined && status !== 'active';
      })
      .map((e) => e.userId);
    if (withdrawn.length > 0 || keyring.rotationDue) {
      log.warn('finishing an interrupted staff removal', { count: withdrawn.length });
      await this.rotate(withdrawn);
    }
  }

  /** Public entry for hosts and tests; the `session.recover` command runs in the gate. */
  recover(recoveryKey: string, username: string, newPassword: string): Promise<Session> {
    return this.gate.exclusive(() => this.recoverAccount(recoveryKey, username, newPassword));
  }

  /**
   * The second way in: the recovery key opens the store and sets a new password for one active
   * account (also one whose keyring entry was lost with the device keystore).
   */
  private async recoverAccount(
    recoveryKey: string,
    username: string,
    newPassword: string,
  ): Promise<Session> {
    const { current, next } = await this.readKeyrings();
    const currentKey = await unlockWithRecoveryKey(current.keyring, recoveryKey);
    const nextKey = next ? await unlockWithRecoveryKey(next.keyring, recoveryKey) : null;
    try {
      if (!currentKey && !nextKey)
        throw new AppError('WRONG_CREDENTIALS', 'The recovery key is not right.');
      const strength = checkPasswordStrength(newPassword, [username]);
      if (!strength.acceptable) {
        throw new AppError('WEAK_PASSWORD', strength.warning || 'Choose a stronger password.', [
          { path: 'newPassword', message: strength.warning || 'Too weak' },
        ]);
      }
      const store = await this.openStoreWith(
        { keyring: current.keyring, key: currentKey },
        next ? { keyring: next.keyring, key: nextKey } : null,
      );
      const row = await staff.findStaffByUsername(store.db, username).catch(async (e: unknown) => {
        await store.close();
        throw e;
      });
      if (!row || row.status !== 'active' || row.deleted !== 0) {
        await store.close();
        throw new AppError(
          'WRONG_CREDENTIALS',
          'There is no active staff account with that username.',
        );
      }
      const session = await this.startSession(store, row.id);
      const storeKey = store.keyCopy();
      try {
        const entry = await createStaffEntry(row.id, username, newPassword, storeKey, this.kdf);
        const latest = await this.files.read();
        if (!latest) throw new AppError('NOT_SET_UP', 'This workstation is not set up yet.');
        if (latest.staffUnavailable)
          log.warn('keystore unavailable: other staff need their passwords reset', {});
        await this.files.write({
          ...latest.keyring,
          staff: [...latest.keyring.staff.filter((e) => e.userId !== row.id), entry],
        });
      } finally {
        wipe(storeKey);
      }
      this.throttle.succeed(username);
      log.info('password reset with recovery key', { userId: row.id });
      try {
        await this.auditSession('session.recovered');
        await this.afterSignIn();
      } catch (e) {
        await this.endSession('logout', false);
        throw e;
      }
      return session;
    } finally {
      wipe(currentKey, nextKey);
    }
  }

  /** Public entry for hosts (idle lock, sleep) and tests. */
  logout(reason: 'logout' | 'locked', announce = true): Promise<void> {
    return this.gate.exclusive(() => this.endSession(reason, announce));
  }

  private async endSession(reason: 'logout' | 'locked', announce = true): Promise<void> {
    this.sync.sessionEnded();
    if (announce) {
      // Best effort: a failing audit write must never keep a workstation unlocked.
      await this.auditSession(reason === 'locked' ? 'session.locked' : 'session.logout').catch(
        () => undefined,
      );
    }
    if (this.store)
      await audit.writeAnchor(this.store.db, this.auditAnchorPath).catch(() => undefined);
    const store = this.store;
    const session = this.session;
    this.store = null;
    this.session = null;
    if (session)
      this.lockedBy =
        reason === 'locked'
          ? { username: session.username, displayName: session.displayName }
          : null;
    await store?.close();
    if (announce && session) this.emit('session.ended', { reason });
  }

  private signedIn(): { store: OpenStore; session: Session } {
    if (!this.store || !this.session) throw new AppError('NOT_SIGNED_IN', 'Please sign in first.');
    return { store: this.store, session: this.session };
  }

  private async readKeyringForChange(): Promise<KeyringFile> {
    const loaded = await this.files.read();
    if (!loaded) throw new AppError('NOT_SET_UP', 'This workstation is not set up yet.');
    if (loaded.staffUnavailable)
      throw new AppError(
        'STORE_LOCKED',
        "The staff keys are locked to this computer's keystore, which cannot be reached now.",
      );
    return loaded.keyring;
  }

  private requireStrongPassword(password: string, userInputs: string[], field: string): void {
    const strength = checkPasswordStrength(password, userInputs);
    if (!strength.acceptable) {
      throw new AppError('WEAK_PASSWORD', strength.warning || 'Choose a stronger password.', [
        { path: field, message: strength.warning || 'Too weak' },
      ]);
    }
  }

  /**
   * Checks the signed-in person's password again before a sensitive change, under the same
   * throttle as sign-in. Returns their unwrapped secret key (the caller wipes it) and entry.
   */
  private async confirmPassword(
    password: string,
    message: string,
  ): Promise<{ secretKey: Uint8Array; entry: StaffKeyEntry; keyring: KeyringFile }> {
    const { session } = this.signedIn();
    this.throttle.check(session.username);
    const keyring = await this.readKeyringForChange();
    const entry = keyring.staff.find((e) => e.userId === session.userId) ?? null;
    const secretKey = await unwrapSecretKey(entry, password, this.kdf);
    if (!secretKey || !entry) {
      this.throttle.fail(session.username);
      throw new AppError('WRONG_CREDENTIALS', message, [{ path: 'password', message }]);
    }
    this.throttle.succeed(session.username);
    return { secretKey, entry, keyring };
  }

  /** Re-wraps only this person's secret key under the new password; nothing else changes. */
  private async changePassword(currentPassword: string, newPassword: string): Promise<null> {
    const { session } = this.signedIn();
    let confirmed: Awaited<ReturnType<Core['confirmPassword']>>;
    try {
      confirmed = await this.confirmPassword(currentPassword, 'The current password is not right.');
    } catch (e) {
      if (e instanceof AppError && e.code === 'WRONG_CREDENTIALS')
        throw new AppError('WRONG_CREDENTIALS', e.message, [
          { path: 'currentPassword', message: e.message },
        ]);
      throw e;
    }
    try {
      this.requireStrongPassword(
        newPassword,
        [session.username, session.displayName],
        'newPassword',
      );
      const entry = await rewrapStaffEntry(
        confirmed.entry,
        confirmed.secretKey,
        newPassword,
        this.kdf,
      );
      await this.files.write({
        ...confirmed.keyring,
        staff: confirmed.keyring.staff.map((e) => (e.userId === entry.userId ? entry : e)),
      });
      log.info('password changed', { userId: session.userId });
      await this.auditSession('session.password_changed');
      return null;
    } finally {
      wipe(confirmed.secretKey);
    }
  }

  /**
   * Rotates the store key so that `drop` lose access (and, with `pendingRecovery`, a new recovery
   * key gains it), then reopens the store under the new key. On failure the session ends and the
   * files are left as after a crash: the next sign-in finishes the rotation.
   */
  private async rotate(drop: string[], pendingRecovery?: { publicKey: string }): Promise<void> {
    const { store } = this.signedIn();
    const current = await this.readKeyringForChange();
    const oldKey = store.keyCopy();
    let result: Awaited<ReturnType<typeof rotateStoreKey>>;
    try {
      result = await rotateStoreKey({
        files: this.files,
        database: this.paths.database,
        current,
        drop,
        ...(pendingRecovery ? { pendingRecovery } : {}),
        sqlite: store.sqlite,
        oldKey,
        ...(this.onRotationStep ? { onStep: this.onRotationStep } : {}),
      });
    } catch (e) {
      log.error('store key rotation interrupted', { error: (e as Error)?.name ?? 'unknown' });
      await this.endSession('locked');
      throw new AppError(
        'STORE_LOCKED',
        'The change was saved but the keys could not be updated. Sign in again to finish it.',
      );
    } finally {
      wipe(oldKey);
    }
    try {
      const reopened = await OpenStore.open(
        this.paths.database,
        result.key,
        result.keyring,
        this.now,
      );
      this.store = reopened;
      await store.close();
    } catch (e) {
      await this.endSession('locked');
      throw e;
    } finally {
      wipe(result.key);
    }
    log.info('store key rotated', { dropped: drop.length });
    await this.auditSession('store.key_rotated', [`dropped:${drop.length}`]);
  }

  private async listStaff(): Promise<StaffMember[]> {
    const { store } = this.signedIn();
    const keyring = await this.keyring();
    const withKey = new Set(keyring?.staff.map((e) => e.userId) ?? []);
    const rows = await staff.listStaffRows(store.db);
    return rows.map((r) => staff.toStaffMember(r, withKey.has(r.id)));
  }

  private async addStaff(input: ArgsOf<'staff.add'>): Promise<StaffMember> {
    const { store } = this.signedIn();
    this.requireStrongPassword(input.password, [input.username, input.displayName], 'password');
    const keyring = await this.readKeyringForChange();
    const id = uuidv7();
    const storeKey = store.keyCopy();
    try {
      const entry = await createStaffEntry(id, input.username, input.password, storeKey, this.kdf);
      // The row first: if the keyring write is lost the account shows as unable to sign in and
      // `staff.enable` gives it a key; an entry without a row would be a key for nobody.
      const row = await staff.insertStaff(this.ctx(), {
        id,
        displayName: input.displayName,
        username: input.username,
        role: input.role,
        providerId: input.providerId,
      });
      await this.files.write({ ...keyring, staff: [...keyring.staff, entry] });
      this.emit('staff.changed', { ids: [id] });
      log.info('staff added', { userId: id });
      return staff.toStaffMember(row, true);
    } finally {
      wipe(storeKey);
    }
  }

  private async updateStaff(
    id: string,
    patch: ArgsOf<'staff.update'>['patch'],
  ): Promise<StaffMember> {
    const { session } = this.signedIn();
    const { after } = await staff.updateStaff(this.ctx(), id, patch);
    const keyring = await this.keyring();
    const entry = keyring?.staff.find((e) => e.userId === id);
    if (keyring && entry && entry.username !== after.username) {
      // The username is not bound into the wrapped key (the user id is), so a rename is a relabel.
      await this.files.write({
        ...keyring,
        staff: keyring.staff.map((e) => (e.userId === id ? { ...e, username: after.username } : e)),
      });
    }
    if (id === session.userId)
      this.session = {
        ...session,
        username: after.username,
        displayName: after.display_name,
        role: after.role as Session['role'],
      };
    this.emit('staff.changed', { ids: [id] });
    return staff.toStaffMember(after, entry !== undefined);
  }

  /**
   * Disables or removes an account: the row keeps its history, the keyring entry goes and the
   * store key is rotated, so whatever the person could once unlock no longer opens the data.
   */
  private async withdrawStaff(id: string, status: 'disabled' | 'removed'): Promise<StaffMember> {
    const before = await staff.getStaffRow(this.signedIn().store.db, id);
    const row = await staff.setStaffStatus(this.ctx(), id, status);
    const keyring = await this.keyring();
    const hadKey = keyring?.staff.some((e) => e.userId === id) ?? false;
    if (this.lockedBy && this.lockedBy.username === before.username) this.lockedBy = null;
    // A disabled account being removed already lost its key (and the store key was rotated then).
    if (before.status === 'active' || hadKey) await this.rotate([id]);
    this.emit('staff.changed', { ids: [id] });
    log.info(`staff ${status}`, { userId: id });
    return staff.toStaffMember(row, false);
  }

  /** Lets a disabled account (or one that lost its key) sign in again, with a new first password. */
  private async enableStaff(id: string, password: string): Promise<StaffMember> {
    const { store } = this.signedIn();
    const keyring = await this.readKeyringForChange();
    const current = await staff.getStaffRow(store.db, id);
    if (current.status === 'removed')
      throw new AppError('CONFLICT', 'A removed account cannot be enabled again. Add a new one.');
    if (current.status === 'active' && keyring.staff.some((e) => e.userId === id))
      throw new AppError('CONFLICT', 'This account can already sign in.');
    this.requireStrongPassword(password, [current.username, current.display_name], 'password');
    const storeKey = store.keyCopy();
    try {
      const entry = await createStaffEntry(id, current.username, password, storeKey, this.kdf);
      const row =
        current.status === 'active' ? current : await staff.reactivateStaff(this.ctx(), id);
      await this.files.write({
        ...keyring,
        staff: [...keyring.staff.filter((e) => e.userId !== id), entry],
      });
      this.emit('staff.changed', { ids: [id] });
      log.info('staff enabled', { userId: id });
      return staff.toStaffMember(row, true);
    } finally {
      wipe(storeKey);
    }
  }

  /**
   * A new recovery key, shown once. The store key is rotated too, so the old recovery key opens
   * nothing, not even with an old copy of the keyring. Until the new key is returned the keyring
   * keeps the old one as its recovery entry: if this is cut short the clinic is never left
   * holding a recovery key that does not work.
   */
  private async replaceRecoveryKey(password: string): Promise<{ recoveryKey: string }> {
    const confirmed = await this.confirmPassword(password, 'The password is not right.');
    wipe(confirmed.secretKey);
    const fresh = await newRecoveryKey();
    await this.rotate([], { publicKey: fresh.publicKey });
    const keyring = await this.readKeyringForChange();
    if (keyring.pendingRecovery?.publicKey !== fresh.publicKey)
      throw new AppError('CONFLICT', 'The recovery key was changed meanwhile. Try again.');
    const { pendingRecovery, ...rest } = keyring;
    await this.files.write({ ...rest, recovery: pendingRecovery });
    log.info('recovery key replaced', {});
    await this.auditSession('store.recovery_key_replaced');
    return { recoveryKey: fresh.recoveryKey };
  }

  private async securitySettings(): Promise<SecuritySettings> {
    const loaded = await this.files.read();
    const active = Boolean(loaded?.bound && !loaded.staffUnavailable);
    let reason = this.files.bindingReason;
    if (loaded?.bound && loaded.staffUnavailable)
      reason =
        "The staff keys are locked to this computer's keystore, which cannot be reached now. The recovery key still opens the data.";
    return {
      idleLockMinutes: this.readSettings().idleLockMinutes,
      deviceBinding: { active, reason },
    };
  }

  private get settingsPath(): string {
    return path.join(this.paths.dir, 'settings.json');
  }

  private readSettings(): WorkstationSettings {
    try {
      return settingsFile.parse(JSON.parse(fs.readFileSync(this.settingsPath, 'utf8')));
    } catch {
      return { idleLockMinutes: IDLE_LOCK_MINUTES.default };
    }
  }

  private writeSettings(settings: WorkstationSettings): void {
    writeFileAtomic(this.settingsPath, JSON.stringify(settings, null, 2));
  }

  async close(): Promise<void> {
    await this.gate.exclusive(() => this.endSession('logout', false));
  }
}

/**
 * The patient a command concerns when its arguments name one: `patientId`, or the `id` of a
 * `patients.*` command. Undefined when only its result can tell.
 */
function subjectFromArgs(name: CommandName, args: unknown): string | undefined {
  const a = (args ?? {}) as { id?: unknown; patientId?: unknown };
  if (typeof a.patientId === 'string') return a.patientId;
  if (name.startsWith('patients.') && typeof a.id === 'string') return a.id;
  return undefined;
}

/**
 * The event of a command that may write, when it can be written with the command's first change:
 * its patient is known from the arguments, and a write's result adds no `results:` count.
 */
function commandEventFor(name: CommandName, args: unknown): CommandEvent | null {
  const subjectId = subjectFromArgs(name, args);
  return subjectId === undefined ? null : { entry: { action: name, subjectId }, appended: null };
}

/**
 * A readers-writer gate over commands: ordinary commands run together; an exclusive one waits for
 * those in flight, runs alone, and holds back the ones that arrive meanwhile.
 */
class CommandGate {
  private running = 0;
  private idle: (() => void) | null = null;
  private tail: Promise<void> = Promise.resolve();
  private exclusiveQueued = 0;

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.exclusiveQueued > 0) await this.tail;
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      if (this.running === 0) this.idle?.();
    }
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.exclusiveQueued++;
    const result = this.tail.then(async () => {
      if (this.running > 0)
        await new Promise<void>((resolve) => {
          this.idle = resolve;
        });
      this.idle = null;
      try {
        return await fn();
      } finally {
        this.exclusiveQueued--;
      }
    });
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
