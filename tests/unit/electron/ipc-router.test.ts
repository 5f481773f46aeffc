import type { IpcMain } from 'electron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Core } from '../../../electron/core/core';
import { createIpcRouter, type RouterWindow } from '../../../electron/main/ipc-router';
import type { Result } from '../../../shared/errors';
import { patientInput, setUpCore } from '../../support/core';
import {
  FakeBrowserWindow,
  FakeFrame,
  FakeIpcMain,
  FakeWebContents,
} from '../../support/fake-electron';

vi.mock('electron', async () => (await import('../../support/fake-electron')).fakeElectron);

let core: Core | null = null;
afterEach(async () => {
  await core?.close();
  core = null;
});

async function setUp(options: { window?: FakeBrowserWindow | null } = {}) {
  ({ core } = await setUpCore());
  const ipcMain = new FakeIpcMain();
  const window = options.window === undefined ? new FakeBrowserWindow({}) : options.window;
  const dispatch = vi.spyOn(core, 'dispatch');
  const router = createIpcRouter(core, ipcMain as unknown as IpcMain, {
    getWindow: () => window as unknown as RouterWindow | null,
  });
  const contents = window?.webContents ?? new FakeWebContents();
  /** A call from the main frame of our window, as the preload makes it. */
  const invoke = (name: unknown, args?: unknown) =>
    ipcMain.invokeFrom(contents, contents.mainFrame, 'enamel:invoke', name, args) as Promise<
      Result<unknown>
    >;
  const patientCount = async () =>
    (await core!.call('patients.list', { offset: 0, limit: 10 })).total;
  return { core, ipcMain, window, contents, dispatch, router, invoke, patientCount };
}

describe('IPC router', () => {
  it('registers one channel, enamel:invoke', async () => {
    const { ipcMain, router } = await setUp();
    expect([...ipcMain.handlers.keys()]).toEqual(['enamel:invoke']);
    router.dispose();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('carries a call from our page to the core and returns the envelope', async () => {
    const { invoke, patientCount } = await setUp();
    const status = await invoke('app.status', {});
    expect(status).toMatchObject({
      ok: true,
      value: { setUp: true, clinic: { name: 'Riverside Dental' } },
    });
    const created = await invoke('patients.create', { patient: patientInput() });
    expect(created).toMatchObject({ ok: true, value: { familyName: 'Müller' } });
    expect(await patientCount()).toBe(1);
  });

  it.each([
    'patients.drop',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    '',
    42,
    null,
    {},
  ])('answers UNKNOWN_COMMAND for %j', async (name) => {
    const { invoke } = await setUp();
    expect(await invoke(name, {})).toEqual({
      ok: false,
      error: { code: 'UNKNOWN_COMMAND', message: expect.any(String) },
    });
  });

  it('answers VALIDATION for bad arguments and writes nothing', async () => {
    const { invoke, patientCount } = await setUp();
    for (const args of [
      { patient: { ...patientInput(), dateOfBirth: '31/02/1985' } },
      { patient: { ...patientInput(), isAdmin: true } },
      { patient: 'Zoë Müller' },
      'patients',
      [],
    ]) {
      const result = await invoke('patients.create', args);
      expect(result.ok, JSON.stringify(args)).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('VALIDATION');
        expect(result.error.fields?.length).toBeGreaterThan(0);
      }
    }
    expect(await patientCount()).toBe(0);
  });

  describe('refuses callers other than our page, without reaching the core', () => {
    const forbidden = {
      ok: false,
      error: { code: 'FORBIDDEN_SENDER', message: expect.any(String) },
    };

    it('a subframe of our page', async () => {
      const { ipcMain, contents, dispatch, patientCount } = await setUp();
      const frame = contents.subframe();
      const result = await ipcMain.invokeFrom(contents, frame, 'enamel:invoke', 'patients.create', {
        patient: patientInput(),
      });
      expect(result).toEqual(forbidden);
      expect(dispatch).not.toHaveBeenCalled();
      expect(await patientCount()).toBe(0);
    });

    it.each([
      'https://example.com/',
      'http://127.0.0.1:5217/index.html',
      'file:///opt/enamel/dist/renderer/index.html',
      'app://enamel.example.com/index.html',
      'app://other/index.html',
      'about:blank',
    ])('our main frame after it navigated to %s', async (url) => {
      const { invoke, contents, dispatch } = await setUp();
      contents.mainFrame.url = url;
      expect(await invoke('app.status', {})).toEqual(forbidden);
      expect(dispatch).not.toHaveBeenCalled();
    });

    it('another window, even on an app:// page', async () => {
      const { ipcMain, dispatch } = await setUp();
      const other = new FakeWebContents();
      expect(
        await ipcMain.invokeFrom(other, other.mainFrame, 'enamel:invoke', 'app.status', {}),
      ).toEqual(forbidden);
      expect(dispatch).not.toHaveBeenCalled();
    });

    it('a frame that claims our contents but is not its main frame', async () => {
      const { ipcMain, contents, dispatch } = await setUp();
      const impostor = new FakeFrame('app://enamel/index.html', null, 999, 7);
      expect(
        await ipcMain.invokeFrom(contents, impostor, 'enamel:invoke', 'app.status', {}),
      ).toEqual(forbidden);
      expect(dispatch).not.toHaveBeenCalled();
    });

    it('a frame that is gone', async () => {
      const { ipcMain, contents, dispatch } = await setUp();
      expect(await ipcMain.invokeFrom(contents, null, 'enamel:invoke', 'app.status', {})).toEqual(
        forbidden,
      );
      expect(dispatch).not.toHaveBeenCalled();
    });

    it('any caller while there is no window', async () => {
      const { invoke, dispatch } = await setUp({ window: null });
      expect(await invoke('app.status', {})).toEqual(forbidden);
      expect(dispatch).not.toHaveBeenCalled();
    });

    it('a destroyed window', async () => {
      const { invoke, window, dispatch } = await setUp();
      window!.destroyed = true;
      expect(await invoke('app.status', {})).toEqual(forbidden);
      expect(dispatch).not.toHaveBeenCalled();
    });
  });

  it('never throws across IPC and sends no stack or extra fields', async () => {
    const ipcMain = new FakeIpcMain();
    const window = new FakeBrowserWindow({});
    const contents = window.webContents;
    const leaky = new Error('boom');
    const fakeCore = {
      dispatch: vi
        .fn<Core['dispatch']>()
        .mockRejectedValueOnce(leaky)
        .mockResolvedValueOnce({
          ok: false,
          error: Object.assign(
            { code: 'NOT_FOUND' as const, message: 'Patient was not found.' },
            { stack: leaky.stack, cause: 'sql' },
          ),
        }),
      subscribe: vi.fn<Core['subscribe']>(() => () => true),
    };
    createIpcRouter(fakeCore, ipcMain as unknown as IpcMain, {
      getWindow: () => window as unknown as RouterWindow,
    });
    const first = await ipcMain.invokeFrom(
      contents,
      contents.mainFrame,
      'enamel:invoke',
      'app.status',
      {},
    );
    expect(first).toEqual({ ok: false, error: { code: 'INTERNAL', message: expect.any(String) } });
    const second = await ipcMain.invokeFrom(
      contents,
      contents.mainFrame,
      'enamel:invoke',
      'patients.get',
      {},
    );
    expect(second).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'Patient was not found.' },
    });
    expect(JSON.stringify([first, second])).not.toContain('boom');
  });

  it('forwards core events to the window and stops after dispose', async () => {
    const { invoke, contents, router } = await setUp();
    const created = await invoke('patients.create', { patient: patientInput() });
    const id = created.ok ? (created.value as { id: string }).id : 'none';
    expect(contents.sent).toContainEqual(['enamel:event', 'patients.changed', { ids: [id] }]);
    router.dispose();
    contents.sent.length = 0;
    await core!.logout('locked');
    expect(contents.sent).toEqual([]);
  });

  it('tells the window when the session ends', async () => {
    const { contents } = await setUp();
    await core!.logout('locked');
    expect(contents.sent).toContainEqual(['enamel:event', 'session.ended', { reason: 'locked' }]);
  });
});
