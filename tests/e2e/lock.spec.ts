import type { CDPSession, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, patientInput } from '../support/core';
import { startBrowserApp, type BrowserApp } from '../support/browser';
import { countOf, snap, textOf } from './helpers';
import { setUpClinic } from './seed';

const RECEPTIONIST = {
  displayName: 'Rita Reception',
  username: 'rita',
  password: 'lantern orchard velvet pebble',
};

let app: BrowserApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

/** Calls the web host as the page would, with the page's own token. */
async function invokeFromPage(page: Page, name: string, args: unknown): Promise<unknown> {
  return page.evaluate(
    async ([command, body]) => {
      const response = await fetch(`/api/invoke/${command}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-enamel-token': sessionStorage.getItem('enamel.token') ?? '',
        },
        body: JSON.stringify(body),
      });
      return response.json();
    },
    [name, args] as const,
  );
}

/**
 * Every string reachable in the page's JavaScript heap (a snapshot garbage-collects first), so
 * what the stores and components still hold is searched, not only the DOM.
 */
async function heapStrings(page: Page): Promise<string> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  const chunks: string[] = [];
  cdp.on('HeapProfiler.addHeapSnapshotChunk', (e) => chunks.push(e.chunk));
  try {
    await cdp.send('HeapProfiler.enable');
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  } finally {
    await cdp.detach().catch(() => {});
  }
  const snapshot = JSON.parse(chunks.join('')) as { strings: string[] };
  return snapshot.strings.join('\n');
}

describe('workstation lock, in Chromium', () => {
  it('locks after the idle time, leaves no patient data, refuses commands, then unlocks', async () => {
    app = await startBrowserApp();
    const { page, core } = app;
    await setUpClinic(core);
    const zoe = await core.call('patients.create', { patient: patientInput() });
    // Fake timers from the next page load on: minutes of idleness pass in an instant.
    await page.clock.install();
    await page.reload();
    await textOf(page.locator('#finder-status'), /^1 patients?$/);

    // The practice manager sets this workstation to lock after one minute.
    await page.getByRole('button', { name: 'Settings' }).click();
    await textOf(page.getByTestId('binding-reason'), /no operating-system keystore/);
    await page.getByLabel('Lock after (minutes)').fill('0');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await textOf(page.locator('#idle-minutes-error'), /At least 1 minute/);
    await page.getByLabel('Lock after (minutes)').fill('1');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await textOf(page.getByRole('status').filter({ hasText: 'Saved' }), /after 1 minute /);
    expect((await core.call('settings.security', {})).idleLockMinutes).toBe(1);
    await snap(page, 'settings');

    // Open Zoë's record.
    await page.getByRole('button', { name: 'Patients' }).click();
    await page.getByRole('combobox', { name: 'Find a patient' }).fill('müller');
    await countOf(page.getByRole('option'), 1);
    await page.keyboard.press('Enter');
    await textOf(page.locator('#record-title'), /^Müller, Zoë$/);
    await textOf(page.locator('.alerts'), /Penicillin/);

    // Someone working keeps it open: 40 s, a mouse movement, 40 s more.
    await page.clock.fastForward(40_000);
    await page.mouse.move(400, 300);
    await page.mouse.move(420, 320);
    await page.clock.fastForward(40_000);
    expect(await page.locator('#record-title').count()).toBe(1);
    expect(core.currentSession?.username).toBe(ADMIN.username);
    // The heap probe below does see patient data while a record is open.
    expect(await heapStrings(page)).toContain('Penicillin');

    // A whole minute without input locks the workstation.
    await page.clock.fastForward(25_000);
    await textOf(page.getByRole('heading', { level: 1 }), /^Locked by Ada Admin$/);
    await snap(page, 'lock');
    expect(core.currentSession).toBeNull();

    // Nothing of the patient is left: not in the page, not in the stores or components.
    const html = await page.content();
    const heap = await heapStrings(page);
    const traces = ['Müller', 'Zoë', 'Penicillin', '07911 123456', '+447911123456', zoe.id];
    for (const trace of traces) {
      expect(html, `page: ${trace}`).not.toContain(trace);
      expect(heap, `heap: ${trace}`).not.toContain(trace);
    }

    // The core refuses patient commands until someone signs in again.
    expect(await invokeFromPage(page, 'patients.search', { query: 'müller' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_SIGNED_IN' },
    });
    expect(await invokeFromPage(page, 'patients.get', { id: zoe.id })).toMatchObject({
      ok: false,
      error: { code: 'NOT_SIGNED_IN' },
    });

    // A wrong password keeps it locked; the right one unlocks as the same person.
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await textOf(page.getByRole('alert'), /username or password is not right/);
    expect(core.currentSession).toBeNull();
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await textOf(page.locator('.topbar__who'), /Ada Admin\s*Practice manager/);
    expect(core.currentSession?.username).toBe(ADMIN.username);
    await page.getByRole('combobox', { name: 'Find a patient' }).fill('müller');
    await countOf(page.getByRole('option'), 1);
    expect(app.problems).toEqual([]);
  });

  it('locks with Ctrl+L and lets another member of staff switch user', async () => {
    app = await startBrowserApp();
    const { page, core } = app;
    await setUpClinic(core);
    await core.call('staff.add', { ...RECEPTIONIST, role: 'receptionist' });
    await core.call('patients.create', { patient: patientInput() });
    await page.reload();
    await textOf(page.locator('#finder-status'), /^1 patients?$/);

    // The Lock button names its shortcut; Ctrl+L locks from anywhere.
    expect(
      await page
        .getByRole('button', { name: 'Lock', exact: true })
        .getAttribute('aria-keyshortcuts'),
    ).toBe('Control+L');
    await page.getByRole('combobox', { name: 'Find a patient' }).fill('zoë');
    await countOf(page.getByRole('option'), 1);
    await page.keyboard.press('Control+l');
    await textOf(page.getByRole('heading', { level: 1 }), /^Locked by Ada Admin$/);
    expect(core.currentSession).toBeNull();
    expect(await page.content()).not.toContain('Müller');
    // The password field has focus: unlocking needs no mouse.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('unlock-password');

    // Rita takes over the front desk.
    await page.getByRole('button', { name: 'Switch user' }).click();
    await textOf(page.getByRole('heading', { level: 1 }), /^Switch user$/);
    await page.getByLabel('Username').fill(RECEPTIONIST.username);
    await page.getByLabel('Password').fill(RECEPTIONIST.password);
    await page.keyboard.press('Enter');
    await textOf(page.locator('.topbar__who'), /Rita Reception\s*Receptionist/);
    expect(core.currentSession?.username).toBe(RECEPTIONIST.username);
    const nav = await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button')
      .allInnerTexts();
    expect(nav).toEqual(['Appointments', 'Patients']);

    // Locking and unlocking as Rita; Ada's name is no longer offered.
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await textOf(page.getByRole('heading', { level: 1 }), /^Locked by Rita Reception$/);
    await page.getByLabel('Password').fill(RECEPTIONIST.password);
    await page.keyboard.press('Enter');
    await textOf(page.locator('.topbar__who'), /Rita Reception/);
    expect(app.problems).toEqual([]);
  });
});
