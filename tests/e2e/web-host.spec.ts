import { afterEach, describe, expect, it } from 'vitest';
import { startBrowserApp, type BrowserApp } from '../support/browser';
import { textOf } from './helpers';

let app: BrowserApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

describe('web host and the renderer together', () => {
  it('refuses a window opened without the token, and says what to do', async () => {
    app = await startBrowserApp();
    const { page, host } = app;
    // A second tab on the bare address: no fragment, nothing in its sessionStorage.
    const stranger = await app.context.newPage();
    await stranger.goto(host.url.split('#')[0]!);
    await textOf(stranger.getByRole('heading', { level: 1 }), /cannot be reached/);
    await textOf(stranger.getByRole('alert'), /opened without its access key/);
    // The tab that had the token still works.
    await textOf(page.getByRole('heading', { level: 1 }), /Set up Enamel/);
  });

  it('shuts down while a window still listens for events', async () => {
    app = await startBrowserApp();
    await textOf(app.page.getByRole('heading', { level: 1 }), /Set up Enamel/);
    // Bounded wait: a host that waits for the browser to leave never finishes.
    const outcome = await Promise.race([
      app.host.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 20_000)),
    ]);
    expect(outcome).toBe('closed');
  });
});
