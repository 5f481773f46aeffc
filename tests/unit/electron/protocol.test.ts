import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createAppProtocolHandler,
  handleAppProtocol,
  registerAppScheme,
} from '../../../electron/main/protocol';
import { CONTENT_SECURITY_POLICY } from '../../../shared/csp';
import { fakeElectron, resetFakeElectron } from '../../support/fake-electron';
import { tempDir } from '../../support/core';

vi.mock('electron', async () => (await import('../../support/fake-electron')).fakeElectron);

const SECRET = 'keyring material that must never be served';
let base: string;
let rendererDir: string;
let serve: (request: Request) => Promise<Response>;

beforeAll(() => {
  base = tempDir('enamel-protocol-');
  rendererDir = path.join(base, 'renderer');
  fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Enamel</title>');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app-1a2b.js'), 'console.log(1);');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app-1a2b.css'), 'body{}');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'logo.svg'), '<svg/>');
  fs.writeFileSync(path.join(base, 'secret.txt'), SECRET);
  // A sibling whose name starts like the renderer folder: a naive prefix check would let it through.
  fs.mkdirSync(path.join(base, 'renderer-private'));
  fs.writeFileSync(path.join(base, 'renderer-private', 'secret.txt'), SECRET);
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(rendererDir, 'assets', 'link.txt'));
  serve = createAppProtocolHandler(rendererDir);
});

beforeEach(() => resetFakeElectron());

const get = (url: string, method = 'GET') => serve(new Request(url, { method }));

describe('app:// protocol', () => {
  it('registers app as a standard, secure scheme without opening it to other origins', () => {
    registerAppScheme();
    expect(fakeElectron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledTimes(1);
    const [schemes] = fakeElectron.protocol.registerSchemesAsPrivileged.mock.calls[0]!;
    expect(schemes).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
  });

  it('handles the app scheme with the renderer folder', async () => {
    handleAppProtocol(rendererDir);
    const [scheme, handler] = fakeElectron.protocol.handle.mock.calls[0]!;
    expect(scheme).toBe('app');
    const response = await handler(new Request('app://enamel/index.html'));
    expect(await response.text()).toContain('<title>Enamel</title>');
  });

  it('serves the page with the CSP and its MIME type', async () => {
    const response = await get('app://enamel/index.html');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe('<!doctype html><title>Enamel</title>');
  });

  it.each([
    ['app://enamel/assets/app-1a2b.js', 'text/javascript; charset=utf-8'],
    ['app://enamel/assets/app-1a2b.css', 'text/css; charset=utf-8'],
    ['app://enamel/assets/logo.svg', 'image/svg+xml'],
    ['app://enamel/', 'text/html; charset=utf-8'],
  ])('serves %s as %s', async (url, type) => {
    const response = await get(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it('answers client-side routes with index.html', async () => {
    const response = await get('app://enamel/patients/0190f3c2/history');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toContain('<title>Enamel</title>');
  });

  it('answers a missing asset with 404, still under the CSP', async () => {
    const response = await get('app://enamel/assets/missing.js');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it.each([
    'app://enamel/..%2fsecret.txt',
    'app://enamel/..%2F..%2F..%2Fsecret.txt',
    'app://enamel/assets/..%2f..%2fsecret.txt',
    'app://enamel/%2e%2e%2fsecret.txt',
    'app://enamel/..%2frenderer-private%2fsecret.txt',
    'app://enamel/..%5csecret.txt',
    'app://enamel/index.html%00.js',
    'app://enamel/%E0%A4%A',
    'app://enamel/assets/link.txt',
  ])('refuses to serve anything outside the renderer folder: %s', async (url) => {
    const response = await get(url);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await response.text()).not.toContain(SECRET);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it('serves only the enamel host and only reads', async () => {
    expect((await get('app://other/index.html')).status).toBe(404);
    expect((await get('app://enamel/index.html', 'POST')).status).toBe(405);
    const head = await get('app://enamel/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });
});
