import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EnamelBridge } from '../../../shared/ipc/contract';
import { fakeElectron } from '../../support/fake-electron';

vi.mock('electron', async () => (await import('../../support/fake-electron')).fakeElectron);

let bridge: EnamelBridge;
const renderer = fakeElectron.ipcRenderer;

beforeAll(async () => {
  // Loading the preload is what exposes the bridge, exactly once.
  await import('../../../electron/preload/index');
  expect(fakeElectron.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
  const [key, api] = fakeElectron.contextBridge.exposeInMainWorld.mock.calls[0]!;
  expect(key).toBe('enamel');
  bridge = api as EnamelBridge;
});

beforeEach(() => {
  renderer.invoke.mockReset();
  renderer.removeAllListeners();
});

describe('preload bridge', () => {
  it('exposes only invoke and on, frozen', () => {
    expect(Object.getOwnPropertyNames(bridge).sort()).toEqual(['invoke', 'on']);
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(typeof bridge.invoke).toBe('function');
    expect(typeof bridge.on).toBe('function');
  });

  it('invokes commands over the one enamel:invoke channel', async () => {
    const envelope = { ok: true, value: { setUp: false } };
    renderer.invoke.mockResolvedValueOnce(envelope);
    expect(await bridge.invoke('app.status', {})).toBe(envelope);
    expect(renderer.invoke).toHaveBeenCalledWith('enamel:invoke', 'app.status', {});
  });

  it('refuses a name that is not a string without calling the main process', async () => {
    for (const name of [42, null, { toString: () => 'app.status' }, '', 'x'.repeat(201)]) {
      expect(await bridge.invoke(name as string, {})).toMatchObject({
        ok: false,
        error: { code: 'UNKNOWN_COMMAND' },
      });
    }
    expect(renderer.invoke).not.toHaveBeenCalled();
  });

  it('turns a failed delivery into an envelope instead of a rejection', async () => {
    renderer.invoke.mockRejectedValueOnce(new Error('An object could not be cloned.'));
    expect(await bridge.invoke('app.status', { callback: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL' },
    });
  });

  it('delivers only the named event, with the payload alone, until unsubscribed', () => {
    const listener = vi.fn();
    const unsubscribe = bridge.on('patients.changed', listener);
    const ipcEvent = { sender: renderer, ports: [] };
    renderer.emit('enamel:event', ipcEvent, 'session.ended', { reason: 'locked' });
    renderer.emit('enamel:event', ipcEvent, 'patients.changed', { ids: ['p1'] });
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener.mock.calls[0]).toEqual([{ ids: ['p1'] }]);
    unsubscribe();
    expect(renderer.listenerCount('enamel:event')).toBe(0);
    renderer.emit('enamel:event', ipcEvent, 'patients.changed', { ids: ['p2'] });
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
