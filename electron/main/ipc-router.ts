import type { BrowserWindow, IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { Core } from '../core/core';
import { log } from '../core/log';
import type { AppErrorShape, Result } from '../../shared/errors';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../preload/channels';
import { isAppUrl } from './origin';

/** What the router needs of the window: its main frame identity and a way to push events. */
export type RouterWindow = Pick<BrowserWindow, 'isDestroyed'> & {
  webContents: Pick<WebContents, 'id' | 'mainFrame' | 'send' | 'isDestroyed'>;
};

export interface IpcRouterOptions {
  /** The window whose page may call the core; read per call because it can be recreated. */
  getWindow(): RouterWindow | null;
}

export interface IpcRouter {
  dispose(): void;
}

type SenderEvent = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>;

const forbiddenSender: Result<never> = {
  ok: false,
  error: { code: 'FORBIDDEN_SENDER', message: 'This page is not allowed to talk to Enamel.' },
};

const internalFailure: Result<never> = {
  ok: false,
  error: {
    code: 'INTERNAL',
    message: 'Something went wrong. Nothing was saved. Please try again.',
  },
};

/**
 * Only the top frame of our own window, showing a page from app://enamel/, may call. A subframe, a
 * page that navigated elsewhere or another window gets FORBIDDEN_SENDER without reaching the core.
 */
function isOurPage(event: SenderEvent, window: RouterWindow | null): boolean {
  if (!window || window.isDestroyed() || window.webContents.isDestroyed()) return false;
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  if (event.sender?.id !== window.webContents.id) return false;
  const main = window.webContents.mainFrame;
  const sameFrame =
    frame === main || (frame.processId === main.processId && frame.routingId === main.routingId);
  return sameFrame && isAppUrl(frame.url);
}

/** Rebuilt field by field so nothing else (a stack, an inner cause) can cross to the page. */
function cleanError(error: AppErrorShape): AppErrorShape {
  const clean: AppErrorShape = { code: error.code, message: error.message };
  if (error.fields) clean.fields = error.fields.map((f) => ({ path: f.path, message: f.message }));
  return clean;
}

/**
 * The single IPC entry point: one `enamel:invoke` channel carrying (command name, arguments) to
 * `core.dispatch`, which looks the command up as an own property, checks the session and role and
 * parses the arguments. Every outcome is an envelope; nothing thrown here reaches the page.
 */
export function createIpcRouter(
  core: Pick<Core, 'dispatch' | 'subscribe'>,
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  options: IpcRouterOptions,
): IpcRouter {
  ipcMain.handle(
    INVOKE_CHANNEL,
    async (event: SenderEvent, name: unknown, args: unknown): Promise<Result<unknown>> => {
      try {
        if (!isOurPage(event, options.getWindow())) {
          log.warn('ipc call refused', { reason: 'sender' });
          return forbiddenSender;
        }
        const result = await core.dispatch(name, args);
        return result.ok
          ? { ok: true, value: result.value }
          : { ok: false, error: cleanError(result.error) };
      } catch (e) {
        log.error('ipc call failed', { error: (e as Error)?.name ?? 'unknown' });
        return internalFailure;
      }
    },
  );

  const unsubscribe = core.subscribe((name, payload) => {
    const window = options.getWindow();
    if (!window || window.isDestroyed() || window.webContents.isDestroyed()) return;
    try {
      window.webContents.send(EVENT_CHANNEL, name, payload);
    } catch (e) {
      log.warn('event not delivered', { event: name, error: (e as Error)?.name ?? 'unknown' });
    }
  });

  return {
    dispose() {
      ipcMain.removeHandler(INVOKE_CHANNEL);
      unsubscribe();
    },
  };
}
