import { app, powerMonitor, type MenuItemConstructorOptions } from 'electron';
import type { Core } from '../core/core';
import { log } from '../core/log';

/**
 * When the workstation locks or sleeps the staff session ends and the store key is wiped, so an
 * unattended chair-side PC never holds open patient data. The page is told through
 * `session.ended` and shows the sign-in screen.
 */
export function lockOnSleep(core: Pick<Core, 'logout'>): () => void {
  const lock = () => {
    core.logout('locked').catch((e: unknown) => {
      log.error('lock failed', { error: (e as Error)?.name ?? 'unknown' });
    });
  };
  powerMonitor.on('lock-screen', lock);
  powerMonitor.on('suspend', lock);
  return () => {
    powerMonitor.removeListener('lock-screen', lock);
    powerMonitor.removeListener('suspend', lock);
  };
}

/**
 * Quitting waits for the core to close (store closed, keys wiped) before the process ends. The
 * first `will-quit` is held back, the core closed, then quitting resumes.
 */
export function closeCoreOnQuit(core: Pick<Core, 'close'>): void {
  let closed = false;
  app.on('will-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    core
      .close()
      .catch((e: unknown) => {
        log.error('core did not close cleanly', { error: (e as Error)?.name ?? 'unknown' });
      })
      .finally(() => {
        closed = true;
        app.quit();
      });
  });
}

/**
 * A small menu: the edit roles keep copy and paste shortcuts working (macOS needs them in a menu);
 * reload and developer tools exist only in development builds.
 */
export function applicationMenuTemplate(options: {
  isPackaged: boolean;
  platform: NodeJS.Platform;
}): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = [
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  if (!options.isPackaged) {
    view.push({ type: 'separator' }, { role: 'reload' }, { role: 'toggleDevTools' });
  }
  const template: MenuItemConstructorOptions[] = [
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
  ];
  if (options.platform === 'darwin') template.unshift({ role: 'appMenu' });
  else template.unshift({ label: 'File', submenu: [{ role: 'quit' }] });
  return template;
}
