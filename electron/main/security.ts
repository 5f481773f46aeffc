import { app, shell, type Session, type WebContents } from 'electron';
import { log } from '../core/log';
import { isAppUrl } from './origin';

const MAX_EXTERNAL_URL_LENGTH = 2048;

/**
 * The only links that may leave the app: plain http(s) addresses without credentials, opened in the
 * staff member's own browser. Anything else (file:, javascript:, custom schemes that launch other
 * programs) is refused. Returns the normalised URL to open, or null.
 */
export function externalLinkTarget(url: unknown): string | null {
  if (typeof url !== 'string' || url.length > MAX_EXTERNAL_URL_LENGTH) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  if (parsed.username !== '' || parsed.password !== '' || parsed.hostname === '') return null;
  return parsed.href;
}

interface NavigationEvent {
  url: string;
  preventDefault(): void;
}

function denyUnlessApp(event: NavigationEvent): void {
  if (!isAppUrl(event.url)) event.preventDefault();
}

const hardenedContents = new WeakSet<WebContents>();

/** Every web contents may only show app://enamel/ pages and may not open windows or webviews. */
export function hardenWebContents(contents: WebContents): void {
  if (hardenedContents.has(contents)) return;
  hardenedContents.add(contents);
  contents.on('will-navigate', denyUnlessApp);
  contents.on('will-redirect', denyUnlessApp);
  // Covers subframes too, which will-navigate does not.
  contents.on('will-frame-navigate', denyUnlessApp);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const target = externalLinkTarget(url);
    if (target) {
      shell.openExternal(target).catch((e: unknown) => {
        log.warn('external link not opened', { error: (e as Error)?.name ?? 'unknown' });
      });
    }
    return { action: 'deny' };
  });
}

const hardenedSessions = new WeakSet<Session>();

/**
 * No web permission is ever granted (camera, notifications, geolocation, USB...), nothing is
 * downloaded but the page's own exports (always through a save dialog), and the
 * spellchecker, which would fetch dictionaries from the network, stays off.
 */
export function hardenSession(session: Session): void {
  if (hardenedSessions.has(session)) return;
  hardenedSessions.add(session);
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.setSpellCheckerEnabled(false);
  session.on('will-download', (event, item) => {
    if (!isOwnExport(item.getURL())) {
      event.preventDefault();
      return;
    }
    // No save path is set, so Electron asks where to save: staff choose where an export goes.
    item.setSaveDialogOptions({ title: 'Save export', defaultPath: item.getFilename() });
  });
}

/**
 * Only files the app's own page made in memory (CSV exports as `blob:app://enamel/...`) may be
 * saved; anything from the network or another origin is refused.
 */
export function isOwnExport(url: string): boolean {
  return url.startsWith('blob:app://enamel/');
}

/** App-wide switches; must run before the app is ready. */
export function hardenApp(): void {
  app.enableSandbox();
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  app.on('session-created', (session) => hardenSession(session));
}
