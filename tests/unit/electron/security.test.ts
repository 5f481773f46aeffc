import type { Session, WebContents } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  externalLinkTarget,
  hardenApp,
  hardenSession,
  hardenWebContents,
} from '../../../electron/main/security';
import {
  fakeElectron,
  FakeSession,
  FakeWebContents,
  resetFakeElectron,
} from '../../support/fake-electron';

vi.mock('electron', async () => (await import('../../support/fake-electron')).fakeElectron);

beforeEach(() => resetFakeElectron());

function hardened(): FakeWebContents {
  const contents = new FakeWebContents();
  hardenWebContents(contents as unknown as WebContents);
  return contents;
}

describe('navigation and windows', () => {
  it.each(['will-navigate', 'will-redirect', 'will-frame-navigate'] as const)(
    '%s: stays on app://enamel and goes nowhere else',
    (event) => {
      const contents = hardened();
      expect(contents.navigate(event, 'app://enamel/patients')).toBe(false);
      for (const url of [
        'https://example.com/',
        'http://127.0.0.1:5217/',
        'file:///etc/passwd',
        'app://enamel.example.com/index.html',
        'app://other/index.html',
        'app://user@enamel/index.html',
        'about:blank',
        'javascript:alert(1)',
        'data:text/html,<script>1</script>',
      ]) {
        expect(contents.navigate(event, url), url).toBe(true);
      }
    },
  );

  it('refuses <webview>', () => {
    expect(hardened().attachWebview()).toBe(true);
  });

  it('denies every new window and opens only plain web links in the browser', () => {
    const contents = hardened();
    expect(contents.openWindow('https://www.nhs.uk/conditions/gum-disease/')).toEqual({
      action: 'deny',
    });
    expect(fakeElectron.shell.openExternal).toHaveBeenCalledWith(
      'https://www.nhs.uk/conditions/gum-disease/',
    );
    fakeElectron.shell.openExternal.mockClear();
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ms-settings:privacy',
      'smb://server/share',
      'https://user:secret@example.com/',
      'app://enamel/index.html',
      'not a url',
      `https://example.com/${'a'.repeat(3000)}`,
    ]) {
      expect(contents.openWindow(url), url).toEqual({ action: 'deny' });
    }
    expect(fakeElectron.shell.openExternal).not.toHaveBeenCalled();
  });

  it('normalises the link it opens', () => {
    expect(externalLinkTarget('HTTPS://Example.COM/a b')).toBe('https://example.com/a%20b');
    expect(externalLinkTarget(42)).toBeNull();
  });

  it('hardens every web contents the app creates, with the sandbox on for all', () => {
    hardenApp();
    expect(fakeElectron.app.enableSandbox).toHaveBeenCalledTimes(1);
    const contents = new FakeWebContents();
    fakeElectron.app.emit('web-contents-created', {}, contents);
    expect(contents.navigate('will-navigate', 'https://example.com/')).toBe(true);
    expect(contents.openWindow('https://example.com/')).toEqual({ action: 'deny' });
  });
});

describe('session', () => {
  function hardenedSession(): FakeSession {
    const session = new FakeSession();
    hardenSession(session as unknown as Session);
    return session;
  }

  it.each(['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'hid'])(
    'denies the %s permission when asked and when checked',
    (permission) => {
      const session = hardenedSession();
      expect(session.requestPermission(permission)).toBe(false);
      expect(session.permissionCheckHandler?.({}, permission, 'app://enamel', {})).toBe(false);
    },
  );

  it('denies device access, downloads and the spellchecker', () => {
    const session = hardenedSession();
    expect(session.devicePermissionHandler?.({ deviceType: 'usb' })).toBe(false);
    expect(session.download('https://example.com/payload.exe')).toBe(true);
    expect(session.spellCheckerEnabled).toBe(false);
  });

  it('hardens sessions created later', () => {
    hardenApp();
    const session = new FakeSession();
    fakeElectron.app.emit('session-created', session);
    expect(session.requestPermission('media')).toBe(false);
  });
});

describe('downloads', () => {
  it('allows only exports the app page made in memory', async () => {
    const { isOwnExport } = await import('../../../electron/main/security');
    expect(isOwnExport('blob:app://enamel/5f0c9a4e-1b2c-4d3e-8f9a-0b1c2d3e4f5a')).toBe(true);
    expect(isOwnExport('https://example.org/export.csv')).toBe(false);
    expect(isOwnExport('blob:https://example.org/5f0c')).toBe(false);
    expect(isOwnExport('file:///etc/passwd')).toBe(false);
    expect(isOwnExport('blob:app://enamel.evil/x')).toBe(false);
  });
});
