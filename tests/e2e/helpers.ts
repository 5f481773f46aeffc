import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { RESULTS_DIR } from '../support/browser';

/** Waits until the locator's text matches, and returns it (vitest's expect does not wait). */
export async function textOf(
  locator: Locator,
  pattern?: RegExp,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let i = 0; i < 200 && Date.now() < deadline; i += 1) {
    if ((await locator.count()) > 0) {
      last = (await locator.first().innerText()).trim();
      if (!pattern || pattern.test(last)) return last;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `Timed out waiting for ${String(locator)} to match ${String(pattern)}; last: ${last}`,
  );
}

/** Waits until the locator matches exactly `n` elements. */
export async function countOf(locator: Locator, n: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (let i = 0; i < 200 && Date.now() < deadline; i += 1) {
    last = await locator.count();
    if (last === n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Expected ${n} of ${String(locator)}, found ${last}`);
}

/** The id of the element that has keyboard focus. */
export function focusedId(page: Page): Promise<string> {
  return page.evaluate(() => document.activeElement?.id ?? '');
}

/** Saves a screenshot under test-results/ for people to look at (not compared by the tests). */
export async function snap(page: Page, name: string): Promise<void> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS_DIR, `${name}.png`) });
}
