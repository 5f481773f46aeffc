import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import { writeFileAtomic } from './crypto/atomic-file';
import {
  parseKeyring,
  serializeKeyring,
  type KeyringFile,
  type StaffKeyEntry,
} from './crypto/keyring';
import { b64 } from './crypto/sodium';
import { log } from './log';

/**
 * Optional device binding. A host that has a real operating-system keystore (Electron's
 * safeStorage over Keychain, DPAPI or libsecret/KWallet) passes a protector; the staff entries of
 * the keyring are then also encrypted by it, so a copied data folder gives nobody a file to guess
 * passwords against. The core runs the same without one (web host, tests).
 */
export interface KeyringProtector {
  /** Recorded in the file, so a keyring bound by another mechanism is recognised. */
  readonly name: string;
  protect(plain: Uint8Array): Promise<Uint8Array>;
  unprotect(wrapped: Uint8Array): Promise<Uint8Array>;
}

/** What the host found: a protector to use, or none, and in either case why, in plain words. */
export interface DeviceBinding {
  protector: KeyringProtector | null;
  reason: string;
}

export const NO_DEVICE_BINDING: DeviceBinding = {
  protector: null,
  reason: 'Not available here: this host has no operating-system keystore to lock the keys to.',
};

/**
 * The bound form of keyring.json. Only the staff entries are wrapped: the recovery entry (sealed to
 * a random 256-bit key, nothing to guess) stays readable, so the recovery key still opens the data
 * when the keystore is lost, for example after a reinstall or on another computer.
 */
const boundFile = z.object({
  format: z.literal('enamel-keyring-bound'),
  version: z.literal(1),
  protector: z.string(),
  storeId: z.string(),
  storeKeyCheck: z.string(),
  clinicName: z.string(),
  recovery: z.object({ publicKey: z.string(), sealedStoreKey: z.string() }),
  pendingRecovery: z.object({ publicKey: z.string(), sealedStoreKey: z.string() }).optional(),
  rotationDue: z.boolean().optional(),
  staff: z.string(),
});

export interface LoadedKeyring {
  keyring: KeyringFile;
  /** The file is bound to a keystore this host cannot open now: `keyring.staff` is empty. */
  staffUnavailable: boolean;
  /** The file is bound to the device keystore. */
  bound: boolean;
}

const damaged = () =>
  new AppError('STORE_CORRUPT', 'The keyring file is damaged. Restore it from a backup.');

/**
 * Reads and writes keyring.json and its rotation sibling keyring.json.next, binding the staff
 * entries to the device keystore whenever the host offers one. Every write is atomic.
 */
export class KeyringFiles {
  constructor(
    readonly file: string,
    private readonly binding: DeviceBinding = NO_DEVICE_BINDING,
  ) {}

  get nextFile(): string {
    return `${this.file}.next`;
  }

  get protector(): KeyringProtector | null {
    return this.binding.protector;
  }

  get bindingReason(): string {
    return this.binding.reason;
  }

  read(): Promise<LoadedKeyring | null> {
    return this.load(this.file);
  }

  /** The new keyring of an unfinished key rotation, if one was interrupted. */
  readNext(): Promise<LoadedKeyring | null> {
    return this.load(this.nextFile);
  }

  hasNext(): boolean {
    return fs.existsSync(this.nextFile);
  }

  write(keyring: KeyringFile): Promise<void> {
    return this.save(this.file, keyring);
  }

  writeNext(keyring: KeyringFile): Promise<void> {
    return this.save(this.nextFile, keyring);
  }

  /** Phase 3 of a rotation: the new keyring replaces the old one in one rename. */
  promoteNext(): void {
    fs.renameSync(this.nextFile, this.file);
    syncFolder(this.file);
  }

  discardNext(): void {
    fs.rmSync(this.nextFile, { force: true });
  }

  private async load(file: string): Promise<LoadedKeyring | null> {
    let raw: string;
    try {
      raw = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw damaged();
    }
    const bound = boundFile.safeParse(json);
    if (!bound.success)
      return { keyring: parseKeyring(raw), staffUnavailable: false, bound: false };
    const {
      staff: wrapped,
      protector: protectorName,
      format: _f,
      version: _v,
      ...rest
    } = bound.data;
    const outer = { format: 'enamel-keyring' as const, version: 1 as const, ...rest };
    const protector = this.binding.protector;
    if (!protector || protector.name !== protectorName) {
      return { keyring: { ...outer, staff: [] }, staffUnavailable: true, bound: true };
    }
    let staff: StaffKeyEntry[];
    try {
      const plain = await protector.unprotect(b64.decode(wrapped));
      staff = parseKeyring(
        JSON.stringify({ ...outer, staff: JSON.parse(new TextDecoder().decode(plain)) as unknown }),
      ).staff;
    } catch (e) {
      if (e instanceof AppError) throw e;
      // The keystore refused (another OS user, a reset keychain): the recovery key still works.
      log.warn('keyring keystore unavailable', { error: (e as Error)?.name ?? 'unknown' });
      return { keyring: { ...outer, staff: [] }, staffUnavailable: true, bound: true };
    }
    return { keyring: { ...outer, staff }, staffUnavailable: false, bound: true };
  }

  private async save(file: string, keyring: KeyringFile): Promise<void> {
    const protector = this.binding.protector;
    if (!protector) {
      writeFileAtomic(file, serializeKeyring(keyring));
      return;
    }
    const { staff, format: _f, version: _v, ...rest } = keyring;
    const wrapped = await protector.protect(new TextEncoder().encode(JSON.stringify(staff)));
    const bound: z.infer<typeof boundFile> = {
      format: 'enamel-keyring-bound',
      version: 1,
      protector: protector.name,
      ...rest,
      staff: b64.encode(wrapped),
    };
    writeFileAtomic(file, JSON.stringify(bound, null, 2));
  }
}

function syncFolder(file: string): void {
  try {
    const fd = fs.openSync(path.dirname(file), 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Windows cannot open folders; the rename is atomic there all the same.
  }
}
