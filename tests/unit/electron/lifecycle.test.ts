import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Core } from '../../../electron/core/core';
import {
  applicationMenuTemplate,
  closeCoreOnQuit,
  lockOnSleep,
} from '../../../electron/main/lifecycle';
import { setUpCore } from '../../support/core';
import { fakeElectron, resetFakeElectron } from '../../support/fake-electron';

vi.mock('electron', async () => (await import('../../support/fake-electron')).fakeElectron);

let core: Core | null = null;
beforeEach(() => resetFakeElectron());
afterEach(async () => {
  await core?.close();
  core = null;
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('lifecycle', () => {
  it.each(['lock-screen', 'suspend'])(
    'ends the staff session and closes the store on %s',
    async (event) => {
      ({ core } = await setUpCore());
      const ended: unknown[] = [];
      core.subscribe((name, payload) => ended.push([name, payload]));
      lockOnSleep(core);
      expect(core.currentSession).not.toBeNull();
      fakeElectron.powerMonitor.emit(event);
      await settle();
      expect(core.currentSession).toBeNull();
      expect(core.openStore).toBeNull();
      expect(ended).toEqual([['session.ended', { reason: 'locked' }]]);
      const after = await core.dispatch('patients.list', { offset: 0, limit: 10 });
      expect(after).toMatchObject({ ok: false, error: { code: 'NOT_SIGNED_IN' } });
    },
  );

  it('holds quitting until the core has closed, then quits', async () => {
    ({ core } = await setUpCore());
    closeCoreOnQuit(core);
    const preventDefault = vi.fn();
    fakeElectron.app.emit('will-quit', { preventDefault });
    expect(preventDefault).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(fakeElectron.app.quit).toHaveBeenCalledTimes(1), {
      timeout: 5_000,
    });
    expect(core.openStore).toBeNull();
    const second = vi.fn();
    fakeElectron.app.emit('will-quit', { preventDefault: second });
    expect(second).not.toHaveBeenCalled();
  });

  it('offers reload and developer tools only in development builds', () => {
    const roles = (isPackaged: boolean, platform: NodeJS.Platform) =>
      JSON.stringify(applicationMenuTemplate({ isPackaged, platform }));
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      expect(roles(true, platform)).not.toContain('toggleDevTools');
      expect(roles(true, platform)).not.toContain('"reload"');
      expect(roles(false, platform)).toContain('toggleDevTools');
    }
    expect(roles(true, 'darwin')).toContain('appMenu');
    expect(roles(true, 'linux')).toContain('editMenu');
  });
});
