import { describe, expect, it, vi } from 'vitest';
import {
  SAFE_STORAGE_PROTECTOR,
  safeStorageBinding,
  type SafeStorageApi,
} from '../../../electron/main/safe-storage';

type Backend = ReturnType<SafeStorageApi['getSelectedStorageBackend']>;

/** Plays Electron's safeStorage: a reversible scrambling, with the availability a test chooses. */
function fakeSafeStorage(options: {
  available: boolean;
  backend?: Backend;
  asyncApi?: boolean;
}): SafeStorageApi {
  const scramble = (text: string) => Buffer.from(`sealed:${text}`.split('').reverse().join(''));
  const unscramble = (buffer: Buffer) => {
    const text = buffer.toString().split('').reverse().join('');
    if (!text.startsWith('sealed:')) throw new Error('Error while decrypting the ciphertext');
    return text.slice('sealed:'.length);
  };
  const api: SafeStorageApi = {
    isEncryptionAvailable: vi.fn(() => options.available),
    getSelectedStorageBackend: vi.fn(() => options.backend ?? 'unknown'),
    encryptString: vi.fn(scramble),
    decryptString: vi.fn(unscramble),
  };
  if (options.asyncApi) {
    api.isAsyncEncryptionAvailable = vi.fn(() => Promise.resolve(options.available));
    api.encryptStringAsync = vi.fn((text: string) => Promise.resolve(scramble(text)));
    api.decryptStringAsync = vi.fn((buffer: Buffer) =>
      Promise.resolve({ result: unscramble(buffer), shouldReEncrypt: false }),
    );
  }
  return api;
}

const bytes = new Uint8Array([0, 1, 2, 250, 255, 10, 13, 0]);

describe('device binding through safeStorage', () => {
  it.each([
    ['darwin', undefined, /macOS Keychain/],
    ['win32', undefined, /Windows \(DPAPI\)/],
    ['linux', 'gnome_libsecret', /GNOME keyring/],
    ['linux', 'kwallet6', /KWallet/],
  ] as const)('is used on %s (%s) and round-trips any bytes', async (platform, backend, where) => {
    const storage = fakeSafeStorage({ available: true, ...(backend ? { backend } : {}) });
    const binding = await safeStorageBinding(storage, platform);
    expect(binding.reason).toMatch(/^In use/);
    expect(binding.reason).toMatch(where);
    const protector = binding.protector!;
    expect(protector.name).toBe(SAFE_STORAGE_PROTECTOR);
    const sealed = await protector.protect(bytes);
    expect(Buffer.from(sealed).includes(Buffer.from(bytes))).toBe(false);
    expect(await protector.unprotect(sealed)).toEqual(bytes);
  });

  it('refuses the Linux basic_text fallback and says why', async () => {
    const storage = fakeSafeStorage({ available: true, backend: 'basic_text' });
    const binding = await safeStorageBinding(storage, 'linux');
    expect(binding.protector).toBeNull();
    expect(binding.reason).toMatch(/^Not used: .*no keyring service/);
    expect(storage.encryptString).not.toHaveBeenCalled();
  });

  it('does not rely on a Linux backend it cannot identify', async () => {
    const binding = await safeStorageBinding(
      fakeSafeStorage({ available: true, backend: 'unknown' }),
      'linux',
    );
    expect(binding.protector).toBeNull();
    expect(binding.reason).toMatch(/^Not used: .*could not tell/);
  });

  it.each(['darwin', 'win32', 'linux'] as const)(
    'is not used on %s when encryption is unavailable',
    async (platform) => {
      const binding = await safeStorageBinding(
        fakeSafeStorage({ available: false, backend: 'gnome_libsecret' }),
        platform,
      );
      expect(binding.protector).toBeNull();
      expect(binding.reason).toMatch(/^Not used: .*keystore is not available/);
    },
  );

  it('prefers the asynchronous API where Electron has it', async () => {
    const storage = fakeSafeStorage({ available: true, asyncApi: true, backend: 'kwallet5' });
    const binding = await safeStorageBinding(storage, 'linux');
    const sealed = await binding.protector!.protect(bytes);
    expect(await binding.protector!.unprotect(sealed)).toEqual(bytes);
    expect(storage.isAsyncEncryptionAvailable).toHaveBeenCalled();
    expect(storage.encryptStringAsync).toHaveBeenCalled();
    expect(storage.decryptStringAsync).toHaveBeenCalled();
    expect(storage.encryptString).not.toHaveBeenCalled();
    expect(storage.decryptString).not.toHaveBeenCalled();
  });

  it('reports an availability check that throws as unavailable', async () => {
    const storage = fakeSafeStorage({ available: true });
    storage.isEncryptionAvailable = () => {
      throw new Error('not ready');
    };
    expect((await safeStorageBinding(storage, 'darwin')).protector).toBeNull();
  });

  it('lets a refusal to decrypt reach the core, which falls back to the recovery key', async () => {
    const binding = await safeStorageBinding(fakeSafeStorage({ available: true }), 'darwin');
    await expect(binding.protector!.unprotect(new Uint8Array([1, 2, 3]))).rejects.toThrow();
  });
});
