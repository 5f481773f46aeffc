import { AppError, isErrorShape } from '../../shared/errors';
import type {
  AppEvents,
  CommandName,
  EnamelBridge,
  EventName,
  InputOf,
  OutputOf,
} from '../../shared/ipc/contract';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent when the app runs in a browser on the web host. */
    enamel?: EnamelBridge;
  }
}

/** How commands and events travel: the Electron bridge, or HTTP to the web host. */
export interface Transport {
  /** Sends one command and resolves with the core's envelope `{ ok, value }` / `{ ok, error }`. */
  invoke(name: CommandName, args: unknown): Promise<unknown>;
  on(event: EventName, listener: (payload: unknown) => void): () => void;
}

export interface ApiClient {
  call<N extends CommandName>(name: N, input: InputOf<N>): Promise<OutputOf<N>>;
  on<E extends EventName>(event: E, listener: (payload: AppEvents[E]) => void): () => void;
}

const UNREADABLE = 'Enamel sent an answer this screen could not read. Please try again.';
const UNREACHABLE =
  'Enamel is not answering. Check that it is still running, then try again. Nothing was saved.';

/** Turns the core's envelope into a value, or throws the AppError it carries. */
export function unwrap<T>(envelope: unknown): T {
  if (typeof envelope === 'object' && envelope !== null && 'ok' in envelope) {
    const e = envelope as { ok: unknown; value?: unknown; error?: unknown };
    if (e.ok === true) return e.value as T;
    if (e.ok === false && isErrorShape(e.error)) throw AppError.from(e.error);
  }
  throw new AppError('INTERNAL', UNREADABLE);
}

export function createClient(transport: Transport): ApiClient {
  return {
    async call(name, input) {
      let envelope: unknown;
      try {
        envelope = await transport.invoke(name, input);
      } catch (e) {
        if (e instanceof AppError) throw e;
        throw new AppError('INTERNAL', UNREACHABLE);
      }
      return unwrap(envelope);
    },
    on(event, listener) {
      return transport.on(event, (payload) => listener(payload as AppEvents[typeof event]));
    },
  };
}

export const TOKEN_STORAGE_KEY = 'enamel.token';

/**
 * The web host hands its per-run token in the URL fragment (never sent to a server). It is kept
 * in sessionStorage so a reload still works, and removed from the address bar so it is not left in
 * the history or shown over a shoulder.
 */
export function takeToken(
  location: Pick<Location, 'hash' | 'pathname' | 'search'> = window.location,
  storage: Pick<Storage, 'getItem' | 'setItem'> = window.sessionStorage,
  history: Pick<History, 'replaceState' | 'state'> = window.history,
): string | null {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromUrl = fragment.get('token');
  if (fromUrl) {
    storage.setItem(TOKEN_STORAGE_KEY, fromUrl);
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
    return fromUrl;
  }
  return storage.getItem(TOKEN_STORAGE_KEY);
}

export function webTransport(
  token: string | null,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
  openEvents: (url: string) => EventSource = (url) => new EventSource(url),
): Transport {
  let events: EventSource | null = null;
  return {
    async invoke(name, args) {
      const response = await fetchImpl(`/api/invoke/${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-enamel-token': token ?? '' },
        body: JSON.stringify(args ?? {}),
        credentials: 'omit',
        cache: 'no-store',
      });
      try {
        return await response.json();
      } catch {
        throw new AppError('INTERNAL', UNREADABLE);
      }
    },
    on(event, listener) {
      if (!token) return () => {};
      // One stream for every listener; EventSource reconnects by itself after a drop.
      events ??= openEvents(`/api/events?token=${encodeURIComponent(token)}`);
      const handler = (e: MessageEvent<string>) => {
        let payload: unknown;
        try {
          payload = JSON.parse(e.data);
        } catch {
          return;
        }
        listener(payload);
      };
      events.addEventListener(event, handler);
      return () => events?.removeEventListener(event, handler);
    },
  };
}

export function bridgeTransport(bridge: EnamelBridge): Transport {
  return {
    invoke: (name, args) => bridge.invoke(name, args),
    on: (event, listener) => bridge.on(event, listener),
  };
}

function defaultTransport(): Transport {
  return window.enamel ? bridgeTransport(window.enamel) : webTransport(takeToken());
}

let client: ApiClient | null = null;

/** Replaces the transport (tests); `null` goes back to the default on next use. */
export function setTransport(transport: Transport | null): void {
  client = transport ? createClient(transport) : null;
}

/** Reads the token and picks the transport now rather than at the first call. */
export function connect(): void {
  client ??= createClient(defaultTransport());
}

/** The one way the renderer reaches the core. */
export const api: ApiClient = {
  call(name, input) {
    client ??= createClient(defaultTransport());
    return client.call(name, input);
  },
  on(event, listener) {
    client ??= createClient(defaultTransport());
    return client.on(event, listener);
  },
};

/** A message for staff from anything thrown by a call. */
export function messageOf(error: unknown): string {
  if (error instanceof AppError) return error.message;
  return 'Something went wrong. Please try again.';
}
