// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import {
  createClient,
  takeToken,
  TOKEN_STORAGE_KEY,
  unwrap,
  webTransport,
} from '../../../renderer/api/client';
import { AppError } from '../../../shared/errors';

function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    data,
  };
}

describe('api client', () => {
  it('takes the token from the fragment, keeps it for reloads and clears the address bar', () => {
    const storage = memoryStorage();
    const history = { state: null, replaceState: vi.fn() };
    const token = takeToken(
      { hash: '#token=abc-123_XYZ', pathname: '/', search: '' },
      storage,
      history,
    );
    expect(token).toBe('abc-123_XYZ');
    expect(storage.data.get(TOKEN_STORAGE_KEY)).toBe('abc-123_XYZ');
    expect(history.replaceState).toHaveBeenCalledWith(null, '', '/');

    // After a reload the fragment is gone; the stored token is used and the URL left alone.
    const again = takeToken({ hash: '', pathname: '/', search: '' }, storage, history);
    expect(again).toBe('abc-123_XYZ');
    expect(history.replaceState).toHaveBeenCalledTimes(1);
    expect(takeToken({ hash: '', pathname: '/', search: '' }, memoryStorage(), history)).toBe(null);
  });

  it('posts commands with the token and unwraps the envelope', async () => {
    const fetchImpl = vi.fn(
      async (_url: string | URL | Request, _init?: RequestInit) =>
        new Response(JSON.stringify({ ok: true, value: { setUp: false } })),
    );
    const api = createClient(webTransport('t0k', fetchImpl as typeof fetch));
    await expect(api.call('app.status', {})).resolves.toEqual({ setUp: false });
    const [url, init] = fetchImpl.mock.calls[0]!;
    expect(url).toBe('/api/invoke/app.status');
    expect(init?.method).toBe('POST');
    expect(new Headers(init?.headers).get('x-enamel-token')).toBe('t0k');
    expect(JSON.parse(String(init?.body))).toEqual({});
  });

  it('throws the AppError the core sent, with its fields', async () => {
    const envelope = {
      ok: false,
      error: {
        code: 'VALIDATION',
        message: 'Some details need attention.',
        fields: [{ path: 'phones.0.number', message: 'Not a valid phone number' }],
      },
    };
    const api = createClient(
      webTransport('t', (async () => new Response(JSON.stringify(envelope))) as typeof fetch),
    );
    const error = await api
      .call('patients.get', { id: '0190a0b0-0000-7000-8000-000000000000' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'VALIDATION',
      message: 'Some details need attention.',
      fields: [{ path: 'phones.0.number', message: 'Not a valid phone number' }],
    });
  });

  it('turns garbage and a dead host into errors staff can read', async () => {
    expect(() => unwrap({ ok: false, error: { code: 'NOPE', message: 'x' } })).toThrow(
      /could not read/,
    );
    expect(() => unwrap('<html>')).toThrow(AppError);
    const dead = createClient(
      webTransport('t', (async () => {
        throw new TypeError('Failed to fetch');
      }) as typeof fetch),
    );
    await expect(dead.call('app.status', {})).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/not answering/),
    });
  });

  it('listens to named events on one event stream, authorised by the token', () => {
    const opened: string[] = [];
    const target = new EventTarget();
    const transport = webTransport('a b', fetch, (url) => {
      opened.push(url);
      return target as unknown as EventSource;
    });
    const api = createClient(transport);
    const changed = vi.fn();
    const ended = vi.fn();
    const off = api.on('patients.changed', changed);
    api.on('session.ended', ended);
    expect(opened).toEqual(['/api/events?token=a%20b']);
    target.dispatchEvent(new MessageEvent('patients.changed', { data: '{"ids":["p1"]}' }));
    target.dispatchEvent(new MessageEvent('session.ended', { data: '{"reason":"locked"}' }));
    expect(changed).toHaveBeenCalledWith({ ids: ['p1'] });
    expect(ended).toHaveBeenCalledWith({ reason: 'locked' });
    off();
    target.dispatchEvent(new MessageEvent('patients.changed', { data: '{"ids":[]}' }));
    expect(changed).toHaveBeenCalledTimes(1);
  });
});
