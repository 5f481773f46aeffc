/** Where the renderer lives: our own privileged scheme, never file:// or the network. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'enamel';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** True only for URLs on app://enamel/, compared after parsing so look-alike hosts do not pass. */
export function isAppUrl(url: unknown): boolean {
  if (typeof url !== 'string' || !url.startsWith(`${APP_ORIGIN}/`)) return false;
  try {
    const parsed = new URL(url);
    return (
      parsed.protocol === `${APP_SCHEME}:` &&
      parsed.host === APP_HOST &&
      parsed.username === '' &&
      parsed.password === ''
    );
  } catch {
    return false;
  }
}
