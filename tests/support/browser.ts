import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Core, type CoreOptions } from '../../electron/core/core';
import { startWebHost, type WebHost } from '../../electron/web-host/server';
import { TEST_KDF, tempDir } from './core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const RENDERER_DIR = path.resolve('dist/renderer');
export const RESULTS_DIR = path.resolve('test-results');

export interface BrowserApp {
  core: Core;
  host: WebHost;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  dataDir: string;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
  close(): Promise<void>;
}

/**
 * One workstation for a browser test: a Core on a temporary data folder with fast key
 * derivation, the web host on a free loopback port, and Debian's Chromium at 1280x720 with the
 * app already loaded (its token taken from the URL fragment, as a person would open it).
 */
export async function startBrowserApp(
  options: {
    locale?: string;
    timezoneId?: string;
    /** More options for the Core (sync with a relay, a clock). */
    core?: Partial<Omit<CoreOptions, 'dataDir' | 'kdf'>>;
  } = {},
): Promise<BrowserApp> {
  if (!fs.existsSync(path.join(RENDERER_DIR, 'index.html')))
    throw new Error(
      'The renderer is not built: run `npm run build:renderer` (or npm run test:e2e)',
    );
  const dataDir = tempDir('enamel-e2e-');
  const core = new Core({ ...options.core, dataDir, kdf: TEST_KDF });
  let host: WebHost | null = null;
  let browser: Browser | null = null;
  try {
    host = await startWebHost({ core, rendererDir: RENDERER_DIR, port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
    const context = await browser.newContext({
      viewport: { width: 1280, height: 720 },
      locale: options.locale ?? 'en-GB',
      timezoneId: options.timezoneId ?? 'Europe/London',
    });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${new URL(r.url()).pathname}`);
    });
    await page.goto(host.url);
    const started = { core, host, browser, context, page, dataDir, problems };
    return {
      ...started,
      close: () => stop(started),
    };
  } catch (e) {
    await stop({ core, host, browser, dataDir });
    throw e;
  }
}

async function stop(parts: {
  core: Core;
  host: WebHost | null;
  browser: Browser | null;
  dataDir: string;
}): Promise<void> {
  // The browser first: its event stream keeps an HTTP connection open until it goes.
  await parts.browser?.close().catch(() => {});
  await parts.host?.close().catch(() => {});
  await parts.core.close().catch(() => {});
  fs.rmSync(parts.dataDir, { recursive: true, force: true });
}

/**
 * Every visible form control and button that Chromium exposes to assistive technology, with the
 * accessible name it computes (labels, aria-label, aria-labelledby...). Returns how many were
 * checked and the ones whose name is empty.
 */
export async function unnamedControls(page: Page): Promise<{ checked: number; unnamed: string[] }> {
  const checked = await page.evaluate(() => {
    let n = 0;
    for (const el of document.querySelectorAll<HTMLElement>(
      'input, select, textarea, button, [role="combobox"], [role="listbox"]',
    )) {
      el.removeAttribute('data-a11y-probe');
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || (el as HTMLInputElement).type === 'hidden')
        continue;
      el.setAttribute('data-a11y-probe', String(n));
      n += 1;
    }
    return n;
  });
  const cdp = await page.context().newCDPSession(page);
  const unnamed: string[] = [];
  let exposed: number;
  try {
    await cdp.send('Accessibility.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeIds } = await cdp.send('DOM.querySelectorAll', {
      nodeId: root.nodeId,
      selector: '[data-a11y-probe]',
    });
    exposed = nodeIds.length;
    for (const nodeId of nodeIds) {
      const { nodes } = await cdp.send('Accessibility.getPartialAXTree', {
        nodeId,
        fetchRelatives: false,
      });
      const node = nodes[0];
      // Behind a modal dialog the page is inert: not exposed, so nothing to announce.
      if (node?.ignored) {
        exposed -= 1;
        continue;
      }
      const name = String(node?.name?.value ?? '').trim();
      if (!name) {
        const { outerHTML } = await cdp.send('DOM.getOuterHTML', { nodeId });
        unnamed.push(outerHTML.slice(0, 160));
      }
    }
    if (nodeIds.length !== checked) unnamed.push(`found ${nodeIds.length} of ${checked} controls`);
  } finally {
    await cdp.detach().catch(() => {});
  }
  return { checked: exposed, unnamed };
}
