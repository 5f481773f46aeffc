import fs from 'node:fs/promises';
import path from 'node:path';
import { protocol } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp';
import { APP_HOST, APP_SCHEME } from './origin';

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
};

export function mimeTypeOf(file: string): string {
  return MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Must run before the app is ready: standard + secure gives app://enamel a real origin. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      // corsEnabled stays unset so no other origin can read our files.
      privileges: { standard: true, secure: true, supportFetchAPI: true },
    },
  ]);
}

function headers(contentType: string): Headers {
  return new Headers({
    'Content-Type': contentType,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-cache',
  });
}

function refusal(status: number, text: string): Response {
  return new Response(text, { status, headers: headers('text/plain; charset=utf-8') });
}

function isInside(root: string, target: string): boolean {
  return target === root || target.startsWith(root + path.sep);
}

async function regularFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the built renderer and nothing else. Paths are decoded, resolved and checked (after
 * following symlinks) to stay inside the renderer folder; a path without an extension is a
 * client-side route and gets index.html. Every response carries the CSP.
 */
export function createAppProtocolHandler(
  rendererDir: string,
): (request: Request) => Promise<Response> {
  const root = path.resolve(rendererDir);
  return async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return refusal(400, 'Bad request');
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host.toLowerCase() !== APP_HOST)
      return refusal(404, 'Not found');
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return refusal(405, 'Method not allowed');
    let relative: string;
    try {
      relative = decodeURIComponent(url.pathname);
    } catch {
      return refusal(400, 'Bad request');
    }
    // Backslashes are separators on Windows and NUL truncates paths: neither has a use here.
    if (relative.includes('\0') || relative.includes('\\')) return refusal(400, 'Bad request');
    const requested = path.resolve(root, `.${relative}`);
    if (!isInside(root, requested)) return refusal(403, 'Forbidden');

    let file = relative.endsWith('/') ? path.join(requested, 'index.html') : requested;
    if (!(await regularFile(file))) {
      if (path.extname(requested) !== '') return refusal(404, 'Not found');
      file = path.join(root, 'index.html');
    }
    try {
      const [realRoot, realFile] = await Promise.all([fs.realpath(root), fs.realpath(file)]);
      if (!isInside(realRoot, realFile)) return refusal(403, 'Forbidden');
      const body = request.method === 'HEAD' ? null : await fs.readFile(realFile);
      return new Response(body, { status: 200, headers: headers(mimeTypeOf(realFile)) });
    } catch {
      return refusal(404, 'Not found');
    }
  };
}

export function handleAppProtocol(rendererDir: string): void {
  protocol.handle(APP_SCHEME, createAppProtocolHandler(rendererDir));
}
