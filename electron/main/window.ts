import { BrowserWindow, type BrowserWindowConstructorOptions } from 'electron';
import { log } from '../core/log';
import { APP_ENTRY_URL } from './origin';
import { hardenWebContents } from './security';

export interface MainWindowSettings {
  /** Absolute path of the bundled preload (dist/electron/preload.cjs). */
  preload: string;
  /** Packaged builds get no developer tools. */
  isPackaged: boolean;
}

/**
 * The one window's options. Every web preference that could let page code reach Node or the OS is
 * set explicitly, so a change of Electron default cannot loosen it.
 */
export function createMainWindowOptions(
  settings: MainWindowSettings,
): BrowserWindowConstructorOptions {
  return {
    title: 'Enamel',
    width: 1280,
    height: 800,
    minWidth: 1024,
    minHeight: 640,
    // Shown on ready-to-show, so staff never see a blank white frame.
    show: false,
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: settings.preload,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: !settings.isPackaged,
    },
  };
}

/** Opens the main window on app://enamel/index.html with navigation and pop-ups locked down. */
export function createMainWindow(settings: MainWindowSettings): BrowserWindow {
  const window = new BrowserWindow(createMainWindowOptions(settings));
  hardenWebContents(window.webContents);
  window.once('ready-to-show', () => window.show());
  window.loadURL(APP_ENTRY_URL).catch((e: unknown) => {
    log.error('renderer failed to load', { error: (e as Error)?.name ?? 'unknown' });
  });
  return window;
}
