import { afterEach, describe, expect, it } from 'vitest';
import { patientInput } from '../support/core';
import { startBrowserApp, type BrowserApp } from '../support/browser';
import { textOf } from './helpers';
import { setUpClinic } from './seed';

let app: BrowserApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

describe('editing while someone else edits', () => {
  it('warns, and saving sends only the fields changed here', async () => {
    app = await startBrowserApp();
    const { page, core } = app;
    await setUpClinic(core);
    const zoe = await core.call('patients.create', { patient: patientInput() });
    await page.reload();
    await textOf(page.locator('#finder-status'), /^1 patients?$/);
    await page.keyboard.type('zoe');
    await textOf(page.locator('#finder-status'), /^1 match$/);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Phone 1').fill('020 7946 0958');

    // Another workstation writes a note meanwhile.
    await core.call('patients.update', { id: zoe.id, patch: { notes: 'Moved to evenings' } });
    await textOf(
      page.getByRole('status').filter({ hasText: 'Someone else' }),
      /changed this record/,
    );
    expect(await page.getByRole('textbox', { name: 'Notes' }).inputValue()).toBe('');

    await page.getByRole('button', { name: 'Save changes' }).click();
    await textOf(page.locator('.phone'), /^020 7946 0958$/);
    await textOf(page.locator('.notes'), /Moved to evenings/);
    const stored = await core.call('patients.get', { id: zoe.id });
    expect(stored.notes).toBe('Moved to evenings');
    expect(stored.phones.map((p) => p.e164)).toEqual(['+442079460958']);
    expect(app.problems).toEqual([]);
  });
});
