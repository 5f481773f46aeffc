import type { SafeStorage } from 'electron';
import type { DeviceBinding, KeyringProtector } from '../core/keyring-protector';

/**
 * Device binding through Electron's safeStorage (macOS Keychain, Windows DPAPI, libsecret or
 * KWallet on Linux). Used only where the keystore is real: on Linux, Chromium falls back to
 * `basic_text`, a fixed key compiled into every copy of Chromium, which would only pretend to
 * protect the keyring, so it is refused. Call after the app is `ready` (before that the Linux
 * backend is still `unknown`).
 */
export type SafeStorageApi = Pick<
  SafeStorage,
  'isEncryptionAvailable' | 'getSelectedStorageBackend' | 'encryptString' | 'decryptString'
> &
  Partial<
    Pick<SafeStorage, 'isAsyncEncryptionAvailable' | 'encryptStringAsync' | 'decryptStringAsync'>
  >;

export const SAFE_STORAGE_PROTECTOR = 'electron-safe-storage';

const KEYSTORE_NAMES: Partial<Record<NodeJS.Platform, string>> = {
  darwin: 'the macOS Keychain',
  win32: 'Windows (DPAPI)',
};

const LINUX_BACKENDS: Record<string, string> = {
  gnome_libsecret: 'the GNOME keyring (libsecret)',
  kwallet: 'KWallet',
  kwallet5: 'KWallet',
  kwallet6: 'KWallet',
};

function protectorFor(safeStorage: SafeStorageApi): KeyringProtector {
  // safeStorage encrypts strings; the bytes travel as base64 so any content survives.
  return {
    name: SAFE_STORAGE_PROTECTOR,
    async protect(plain) {
      const text = Buffer.from(plain).toString('base64');
      const sealed = safeStorage.encryptStringAsync
        ? await safeStorage.encryptStringAsync(text)
        : safeStorage.encryptString(text);
      return new Uint8Array(sealed);
    },
    async unprotect(wrapped) {
      const buffer = Buffer.from(wrapped);
      const text = safeStorage.decryptStringAsync
        ? (await safeStorage.decryptStringAsync(buffer)).result
        : safeStorage.decryptString(buffer);
      return new Uint8Array(Buffer.from(text, 'base64'));
    },
  };
}

/** What the settings screen shows, and the protector to give the core when the keystore is real. */
export async function safeStorageBinding(
  safeStorage: SafeStorageApi,
  platform: NodeJS.Platform = process.platform,
): Promise<DeviceBinding> {
  let available: boolean;
  try {
    available = safeStorage.isAsyncEncryptionAvailable
      ? await safeStorage.isAsyncEncryptionAvailable()
      : safeStorage.isEncryptionAvailable();
  } catch {
    available = false;
  }
  if (!available) {
    return {
      protector: null,
      reason:
        "Not used: this computer's keystore is not available to Enamel, so the staff keys are protected by their passwords alone.",
    };
  }
  let keystore = KEYSTORE_NAMES[platform] ?? "the operating system's keystore";
  if (platform === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend();
    if (backend === 'basic_text') {
      return {
        protector: null,
        reason:
          'Not used: this Linux desktop has no keyring service (such as GNOME Keyring or KWallet), and the fallback uses a key that is the same on every computer. Staff keys are protected by their passwords alone.',
      };
    }
    const known = LINUX_BACKENDS[backend];
    if (!known) {
      return {
        protector: null,
        reason:
          'Not used: Enamel could not tell which keyring service this Linux desktop uses, so it does not rely on one. Staff keys are protected by their passwords alone.',
      };
    }
    keystore = known;
  }
  return {
    protector: protectorFor(safeStorage),
    reason: `In use: the staff keys are also locked to ${keystore} for this computer's user, so a copied data folder cannot be attacked by guessing passwords. The recovery key still opens the data anywhere.`,
  };
}
