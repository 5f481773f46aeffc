import fs from 'node:fs';
import { v7 as uuidv7 } from 'uuid';
import { AppError, type Result } from '../../shared/errors';
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
import {
  createRecovery,
  createStaffEntry,
  DEFAULT_KDF,
  readKeyring,
  storeKeyCheck,
  unlockWithPassword,
  unlockWithRecoveryKey,
  writeKeyring,
  type KdfParams,
  type KeyringFile,
} from './crypto/keyring';
import { loadSodium, wipe } from './crypto/sodium';
import { insertRecord } from './db/changes';
import { createStore, mapStoreError } from './db/store';
import { storePaths, type StorePaths } from './paths';
import type { ServiceContext } from './services/context';
import * as patients from './services/patients';
import { loadStaffSession, OpenStore, removeOrphanStore } from './store-session';
import { log } from './log';

export interface CoreOptions {
  dataDir: string;
  /** Wall clock; tests inject a fake one. */
  now?: () => number;
  /** Argon2id parameters for new keyring entries. Production default: 3 passes, 64 MiB. */
  kdf?: KdfParams;
}

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

  constructor(options: CoreOptions) {
    this.paths = storePaths(options.dataDir);
    this.now = options.now ?? Date.now;
    this.kdf = options.kdf ?? DEFAULT_KDF;
    fs.mkdirSync(this.paths.dir, { recursive: true, mode: 0o700 });
    this.handlers = {
      'app.status': () => this.status(),
      'setup.createClinic': (a) => this.setup(a),
      'setup.checkPassword': async (a) => checkPasswordStrength(a.password, a.userInputs),
      'session.login': (a) => this.login(a.username, a.password),
      'session.recover': (a) => this.recover(a.recoveryKey, a.username, a.newPassword),
      'session.logout': async () => {
        await this.logout('logout');
        return null;
      },
      'patients.search': (a) => patients.searchPatients(this.ctx(), a.query, a.limit),
      'patients.list': (a) =>
        patients.listPatients(this.ctx(), a.offset, a.limit, a.includeArchived),
      'patients.get': (a) => patients.getPatient(this.ctx(), a.id),
      'patients.findDuplicates': (a) => patients.findDuplicates(this.ctx(), a),
      'patients.create': (a) => patients.createPatient(this.ctx(), a.patient, a.duplicatesReviewed),
      'patients.update': (a) => patients.updatePatient(this.ctx(), a.id, a.patch),
      'patients.archive': (a) => patients.archivePatient(this.ctx(), a.id),
      'patients.history': (a) => patients.patientHistory(this.ctx(), a.id),
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
    if (spec.roles !== 'public') {
      if (!this.session || !this.store)
        return { ok: false, error: { code: 'NOT_SIGNED_IN', message: 'Please sign in first.' } };
      if (spec.roles !== 'signed-in' && !spec.roles.includes(this.session.role)) {
        return {
          ok: false,
          error: { code: 'NOT_ALLOWED', message: 'Your role does not allow this action.' },
        };
      }
    }
    const parsed = spec.input.safeParse(args ?? {});
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          code: 'VALIDATION',
          message: 'Some details need attention.',
          fields: parsed.error.issues
            .slice(0, 20)
            .map((i) => ({ path: i.path.map(String).join('.') || '(input)', message: i.message })),
        },
      };
    }
    try {
      const handler = this.handlers[name as CommandName] as (a: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data) };
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
    return {
      db: this.store.db,
      writer: this.store.writer(this.session.userId, () => new Date(this.now())),
      clinic: this.store.clinic,
      emit: this.emit,
    };
  }

  private keyring(): KeyringFile | null {
    return readKeyring(this.paths.keyring);
  }

  async status(): Promise<AppStatus> {
    const keyring = this.keyring();
    return {
      setUp: keyring !== null,
      session: this.session,
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
    if (this.keyring())
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
    removeOrphanStore(this.paths.database);
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
      writeKeyring(this.paths.keyring, {
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
      log.info('clinic set up', { storeId });
      return { recoveryKey: recovery.recoveryKey, session: this.session };
    } catch (e) {
      await store?.close();
      if (!this.keyring()) removeOrphanStore(this.paths.database);
      throw e;
    } finally {
      wipe(storeKey);
    }
  }

  private async openWithKey(
    key: Uint8Array,
    keyring: KeyringFile,
    userId: string,
  ): Promise<Session> {
    await this.logout('locked', false);
    const store = await OpenStore.open(this.paths.database, key, keyring, this.now);
    try {
      const session = await loadStaffSession(store, userId, new Date(this.now()));
      this.store = store;
      this.session = session;
      return session;
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  async login(username: string, password: string): Promise<Session> {
    const keyring = this.keyring();
    if (!keyring) throw new AppError('NOT_SET_UP', 'This workstation is not set up yet.');
    const entry = keyring.staff.find((e) => e.username === username) ?? null;
    const key = await unlockWithPassword(entry, password, this.kdf);
    if (!key || !entry) {
      log.info('sign-in failed', {});
      throw new AppError('WRONG_CREDENTIALS', 'The username or password is not right.');
    }
    try {
      const session = await this.openWithKey(key, keyring, entry.userId);
      log.info('signed in', { userId: session.userId });
      return session;
    } finally {
      wipe(key);
    }
  }

  /** The second way in: the recovery key opens the store and sets a new password for one account. */
  async recover(recoveryKey: string, username: string, newPassword: string): Promise<Session> {
    const keyring = this.keyring();
    if (!keyring) throw new AppError('NOT_SET_UP', 'This workstation is not set up yet.');
    const key = await unlockWithRecoveryKey(keyring, recoveryKey);
    if (!key) throw new AppError('WRONG_CREDENTIALS', 'The recovery key is not right.');
    try {
      const index = keyring.staff.findIndex((e) => e.username === username);
      const old = keyring.staff[index];
      if (!old)
        throw new AppError('WRONG_CREDENTIALS', 'There is no staff account with that username.');
      const strength = checkPasswordStrength(newPassword, [username]);
      if (!strength.acceptable) {
        throw new AppError('WEAK_PASSWORD', strength.warning || 'Choose a stronger password.', [
          { path: 'newPassword', message: strength.warning || 'Too weak' },
        ]);
      }
      const session = await this.openWithKey(key, keyring, old.userId);
      const entry = await createStaffEntry(old.userId, username, newPassword, key, this.kdf);
      writeKeyring(this.paths.keyring, {
        ...keyring,
        staff: keyring.staff.map((e, i) => (i === index ? entry : e)),
      });
      log.info('password reset with recovery key', { userId: old.userId });
      return session;
    } finally {
      wipe(key);
    }
  }

  async logout(reason: 'logout' | 'locked', announce = true): Promise<void> {
    const store = this.store;
    const hadSession = this.session !== null;
    this.store = null;
    this.session = null;
    await store?.close();
    if (announce && hadSession) this.emit('session.ended', { reason });
  }

  async close(): Promise<void> {
    await this.logout('logout', false);
  }
}
