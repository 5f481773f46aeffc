import { afterEach, describe, expect, it } from 'vitest';
import { patientInput } from '../support/core';
import { startBrowserApp, type BrowserApp } from '../support/browser';
import { countOf, focusedId, snap, textOf } from './helpers';
import { seedNumbered, setUpClinic } from './seed';

let app: BrowserApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

/** The core is set up and signed in before the page loads, as after a reload mid-session. */
async function signedInApp(): Promise<BrowserApp> {
  const started = await startBrowserApp();
  await setUpClinic(started.core);
  return started;
}

describe('keyboard-first patient finder', () => {
  it('finds and opens a patient with the keyboard alone', async () => {
    app = await signedInApp();
    const { page, core } = app;
    await core.call('patients.create', { patient: patientInput() });
    await core.call('patients.create', {
      patient: patientInput({
        givenNames: 'Anna',
        familyName: 'Mulligan',
        dateOfBirth: '1970-06-01',
        email: null,
        phones: [],
        alerts: [{ kind: 'medication', description: 'Warfarin', severity: 'moderate' }],
      }),
    });
    // A reload keeps working: the token now comes from sessionStorage, not the address bar.
    await page.reload();
    expect(new URL(page.url()).hash).toBe('');
    await textOf(page.locator('#finder-status'), /^2 patients$/);
    expect(await focusedId(page)).toBe('patient-search');

    await page.keyboard.type('mul');
    await countOf(page.getByRole('option'), 2);
    await textOf(page.locator('#finder-status'), /^2 matches$/);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const active = await page.getAttribute('#patient-search', 'aria-activedescendant');
    expect(active).toBe('patient-option-1');
    // Name order folds diacritics: Müller sorts as muller, before Mulligan.
    await textOf(page.locator(`#${active}`), /Mulligan, Anna/);
    expect(await page.getAttribute(`#${active}`, 'aria-selected')).toBe('true');
    await page.keyboard.press('ArrowUp');
    expect(await page.getAttribute('#patient-search', 'aria-activedescendant')).toBe(
      'patient-option-0',
    );
    await textOf(page.locator('#patient-option-0'), /Müller, Zoë/);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await textOf(page.locator('#record-title'), /^Mulligan, Anna$/);
    expect(await focusedId(page)).toBe('record-title');
    await textOf(page.locator('.alerts'), /Medication\s*Warfarin\s*Moderate severity/i);

    // '/' goes back to the search box with the query kept; Escape clears it.
    await page.keyboard.press('/');
    await textOf(page.locator('#finder-status'), /^2 matches$/);
    expect(await focusedId(page)).toBe('patient-search');
    expect(await page.inputValue('#patient-search')).toBe('mul');
    await page.keyboard.press('Escape');
    expect(await page.inputValue('#patient-search')).toBe('');
    await textOf(page.locator('#finder-status'), /^2 patients$/);

    // One match opens with Enter straight away; Alt+N starts a registration.
    await page.keyboard.type('zoe mül');
    await textOf(page.locator('#finder-status'), /^1 match$/);
    await page.keyboard.press('Enter');
    await textOf(page.locator('#record-title'), /^Müller, Zoë$/);
    await page.keyboard.press('Alt+N');
    await textOf(page.locator('#patient-form-title'), /^New patient$/);
    expect(await focusedId(page)).toBe('patient-form-title');
    expect(app.problems).toEqual([]);
  });

  it('scrolls a long list in pages fetched on demand and follows changes made elsewhere', async () => {
    app = await signedInApp();
    const { page, core } = app;
    await seedNumbered(core, 450);
    await page.reload();
    await textOf(page.locator('#finder-status'), /^450 patients$/);
    // Only the rows on screen exist in the DOM.
    const rendered = await page.getByRole('option').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(40);
    expect(await page.getAttribute('#patient-option-0', 'aria-setsize')).toBe('450');
    await textOf(page.locator('#patient-option-0'), /Test000, Alex/);

    // Jump to the end: the last page (rows 400-449) is fetched when it comes into view.
    await page.locator('.patient-list__scroll').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await textOf(page.locator('#patient-option-449'), /Test449, Alex/);
    expect(await page.locator('#patient-option-0').count()).toBe(0);
    await snap(page, 'patient-list-end');

    // Keyboard paging through the full list moves the active row and keeps it on screen.
    await page.locator('.patient-list__scroll').evaluate((el) => {
      el.scrollTop = 0;
    });
    await page.focus('#patient-search');
    for (let i = 0; i < 13; i += 1) await page.keyboard.press('PageDown');
    expect(await page.getAttribute('#patient-search', 'aria-activedescendant')).toBe(
      'patient-option-129',
    );
    await textOf(page.locator('#patient-option-129'), /Test129, Alex/);
    expect(await page.locator('#patient-option-129').isVisible()).toBe(true);
    await page.keyboard.press('Enter');
    await textOf(page.locator('#record-title'), /^Test129, Alex$/);

    // A patient registered on another window shows up without a reload (patients.changed).
    await page.keyboard.press('/');
    await textOf(page.locator('#finder-status'), /^450 patients$/);
    await core.call('patients.create', {
      patient: patientInput({
        givenNames: 'Aaron',
        familyName: 'Aardvark',
        email: null,
        phones: [],
      }),
    });
    await textOf(page.locator('#finder-status'), /^451 patients$/);
    await page.locator('.patient-list__scroll').evaluate((el) => {
      el.scrollTop = 0;
    });
    await textOf(page.locator('#patient-option-0'), /Aardvark, Aaron/);

    // The core ending the session (idle lock) sends the screen to the lock screen, empty.
    await core.logout('locked');
    await textOf(page.getByRole('heading', { level: 1 }), /^Locked by Ada Admin$/);
    const html = await page.content();
    expect(html).not.toContain('Aardvark');
    expect(html).not.toContain('Test0');
    expect(app.problems).toEqual([]);
  });
});
