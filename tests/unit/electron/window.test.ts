import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMainWindow, createMainWindowOptions } from '../../../electron/main/window';
import { FakeBrowserWindow, resetFakeElectron } from '../../support/fake-electron';

vi.mock('electron', async () => (await import('../../support/fake-electron')).fakeElectron);

const preload = path.join('/opt/enamel/dist/electron', 'preload.cjs');

beforeEach(() => resetFakeElectron());

describe('main window', () => {
  it('isolates the page from Node and the OS', () => {
    const web = createMainWindowOptions({ preload, isPackaged: true }).webPreferences;
    expect(web).toMatchObject({
      preload,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
      devTools: false,
    });
  });

  it('offers developer tools only outside a packaged build', () => {
    expect(createMainWindowOptions({ preload, isPackaged: false }).webPreferences?.devTools).toBe(
      true,
    );
  });

  it('is titled Enamel, sized for a clinic desktop and hidden until ready', () => {
    const options = createMainWindowOptions({ preload, isPackaged: true });
    expect(options).toMatchObject({
      title: 'Enamel',
      width: 1280,
      height: 800,
      minWidth: 1024,
      minHeight: 640,
      show: false,
    });
  });

  it('loads app://enamel/index.html, shows when ready and refuses to navigate away', () => {
    createMainWindow({ preload, isPackaged: true });
    const [window] = FakeBrowserWindow.instances;
    expect(window?.options).toEqual(createMainWindowOptions({ preload, isPackaged: true }));
    expect(window?.loadedUrl).toBe('app://enamel/index.html');
    expect(window?.shown).toBe(false);
    window?.emit('ready-to-show');
    expect(window?.shown).toBe(true);
    expect(window?.webContents.navigate('will-navigate', 'https://example.com/')).toBe(true);
    expect(window?.webContents.openWindow('https://example.com/')).toEqual({ action: 'deny' });
  });
});
