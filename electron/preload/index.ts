import { contextBridge, ipcRenderer, type IpcRenderer } from 'electron';
import type { EnamelBridge, EventName } from '../../shared/ipc/contract';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels';

/*
 * Runs sandboxed: it may require only 'electron', so everything here is either a type import or
 * the import-free channels file (esbuild inlines it).
 */

const MAX_NAME_LENGTH = 200;

const unavailable = {
  ok: false,
  error: { code: 'UNKNOWN_COMMAND', message: 'This action is not available.' },
} as const;

const notDelivered = {
  ok: false,
  error: {
    code: 'INTERNAL',
    message: 'Enamel could not carry out this action. Nothing was saved. Please try again.',
  },
} as const;

/**
 * The whole api the page gets: `invoke` and `on`. The page never sees ipcRenderer or an IPC event
 * object (whose `sender` would hand it ipcRenderer back), and every call resolves to an envelope.
 */
export function createBridge(
  renderer: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>,
): EnamelBridge {
  return Object.freeze({
    invoke(name: string, args: unknown): Promise<unknown> {
      if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH)
        return Promise.resolve(unavailable);
      return renderer.invoke(INVOKE_CHANNEL, name, args).catch(() => notDelivered);
    },
    on(event: EventName, listener: (payload: unknown) => void): () => void {
      if (typeof event !== 'string' || typeof listener !== 'function') {
        throw new TypeError('enamel.on needs an event name and a listener function');
      }
      const forward = (_ipcEvent: unknown, name: unknown, payload: unknown) => {
        if (name === event) listener(payload);
      };
      renderer.on(EVENT_CHANNEL, forward);
      return () => {
        renderer.removeListener(EVENT_CHANNEL, forward);
      };
    },
  });
}

contextBridge.exposeInMainWorld('enamel', createBridge(ipcRenderer));
