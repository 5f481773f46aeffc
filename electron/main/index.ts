import path from 'node:path';
import { app, ipcMain, Menu, safeStorage, session, type BrowserWindow } from 'electron';
import { Core } from '../core/core';
import { log } from '../core/log';
import { defaultDataDir } from '../core/paths';
import { createIpcRouter } from './ipc-router';
import { applicationMenuTemplate, closeCoreOnQuit, lockOnSleep } from './lifecycle';
import { handleAppProtocol, registerAppScheme } from './protocol';
import { safeStorageBinding } from './safe-storage';
import { hardenApp, hardenSession } from './security';
import { createMainWindow } from './window';

/*
 * Entry point, bundled to dist/electron/main.cjs: __dirname is dist/electron, beside preload.cjs,
 * with the built renderer in dist/renderer.
 */
const preload = path.join(__dirname, 'preload.cjs');
const rendererDir = path.join(__dirname, '..', 'renderer');
const dataDir = defaultDataDir();

// These must happen before `ready`.
hardenApp();
registerAppScheme();
if (process.env.ENAMEL_DATA_DIR) {
  // Keep Chromium's own profile beside the data, so a run on a scratch folder leaves no trace.
  app.setPath('userData', path.join(dataDir, 'shell'));
}

if (!app.requestSingleInstanceLock()) {
  // A second copy would open the same encrypted store: hand over to the first one instead.
  app.quit();
} else {
  let window: BrowserWindow | null = null;

  app.on('second-instance', () => {
    if (!window || window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  app.on('window-all-closed', () => app.quit());

  app
    .whenReady()
    .then(async () => {
      hardenSession(session.defaultSession);
      handleAppProtocol(rendererDir);
      Menu.setApplicationMenu(
        Menu.buildFromTemplate(
          applicationMenuTemplate({ isPackaged: app.isPackaged, platform: process.platform }),
        ),
      );
      // The keyring is also wrapped by the OS keystore where it is real (never Linux basic_text).
      const core = new Core({ dataDir, deviceBinding: await safeStorageBinding(safeStorage) });
      closeCoreOnQuit(core);
      lockOnSleep(core);
      createIpcRouter(core, ipcMain, { getWindow: () => window });
      window = createMainWindow({ preload, isPackaged: app.isPackaged });
      window.on('closed', () => {
        window = null;
      });
    })
    .catch((e: unknown) => {
      log.error('startup failed', { error: (e as Error)?.name ?? 'unknown' });
      app.exit(1);
    });
}
