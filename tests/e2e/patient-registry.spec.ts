import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/core';
import { startBrowserApp, type BrowserApp } from '../support/browser';
import { countOf, snap, textOf } from './helpers';

let app: BrowserApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

describe('front desk, end to end in Chromium', () => {
  it('sets up the clinic, registers, deduplicates, finds, edits and signs out clean', async () => {
    app = await startBrowserApp();
    const { page } = app;

    // First run: the clinic and its administrator.
    await textOf(page.getByRole('heading', { level: 1 }), /Set up Enamel/);
    await page.getByLabel('Clinic name').fill('Riverside Dental');
    await page.getByLabel('Time zone').selectOption('Europe/London');
    await page.getByLabel('Country', { exact: true }).fill('GB');
    await page.getByLabel('Language and region').fill('en-GB');
    await page.getByLabel('Full name').fill(ADMIN.displayName);
    await page.getByLabel('Username').fill(ADMIN.username);
    // A weak password is refused before anything is created.
    await page.getByLabel('Password', { exact: true }).fill('password1');
    await page.getByLabel('Confirm password').fill('password1');
    await textOf(page.locator('.strength__text'), /not strong enough/);
    await page.getByRole('button', { name: 'Create clinic' }).click();
    await textOf(page.locator('#admin-password-error'), /too easy to guess/);
    await snap(page, 'setup-weak-password');
    expect(app.core.currentSession).toBeNull();

    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Confirm password').fill(ADMIN.password);
    await textOf(page.locator('.strength__text'), /good to use/);
    await page.getByRole('button', { name: 'Create clinic' }).click();

    // The recovery key, once, behind an explicit acknowledgement.
    const key = await textOf(page.getByTestId('recovery-key'), /\S{16,}/);
    await snap(page, 'recovery-key');
    const proceed = page.getByRole('button', { name: 'Continue to Enamel' });
    expect(await proceed.isDisabled()).toBe(true);
    await page.getByLabel('I have stored this key safely').check();
    await proceed.click();
    await textOf(page.locator('.topbar__clinic'), /Riverside Dental/);
    await textOf(page.locator('.topbar__who'), /Ada Admin\s*Practice manager/);
    expect(await page.content()).not.toContain(key);

    // Log out and back in.
    await page.getByRole('button', { name: 'Log out' }).click();
    await textOf(page.getByRole('heading', { level: 1 }), /Sign in to Riverside Dental/);
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await textOf(page.getByRole('alert'), /username or password is not right/);
    await snap(page, 'login-error');
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await textOf(page.locator('#finder-status'), /0 patients/);

    // Register Zoë Müller.
    await page.getByRole('button', { name: /New patient/ }).click();
    await page.getByLabel('Given names').fill('Zoë');
    await page.getByLabel('Family name').fill('Müller');
    await page.getByLabel('Date of birth').fill('12/03/1985');
    await page.getByLabel('Sex').selectOption('female');
    await page.getByRole('button', { name: 'Add phone' }).click();
    await page.getByRole('button', { name: 'Add alert' }).click();
    await page.getByLabel('Description').fill('Penicillin');
    // The core's field errors land next to the input they are about.
    await page.getByLabel('Phone 1').fill('0791');
    await page.getByRole('button', { name: 'Register patient' }).click();
    await textOf(page.locator('#pf-phones-0-number-error'), /Not a valid phone number/);
    expect(await page.getAttribute('#pf-phones-0-number', 'aria-invalid')).toBe('true');
    await page.getByLabel('Phone 1').fill('07911 123456');
    await snap(page, 'patient-form');
    await page.getByRole('button', { name: 'Register patient' }).click();
    await textOf(page.locator('#record-title'), /^Müller, Zoë$/);
    await textOf(page.locator('.alerts'), /Allergy\s*Penicillin\s*High severity/i);
    const firstChart = await textOf(page.locator('.record__meta .mono'), /^\d+$/);

    // A second registration with the same name and date of birth is flagged first.
    await page.getByRole('button', { name: 'Back to patients' }).click();
    await page.getByRole('button', { name: /New patient/ }).click();
    await page.getByLabel('Given names').fill('Zoë');
    await page.getByLabel('Family name').fill('Müller');
    await page.getByLabel('Date of birth').fill('1985-03-12');
    await page.getByRole('button', { name: 'Register patient' }).click();
    const dialog = page.getByRole('dialog', { name: 'This patient may already be registered' });
    await textOf(dialog, /Same name and date of birth/);
    await snap(page, 'duplicates');
    expect(await textOf(dialog.locator('.duplicates__item'))).toContain(firstChart);
    await dialog.getByRole('button', { name: /This is a new patient/ }).click();
    await textOf(page.locator('#record-title'), /^Müller, Zoë$/);
    const secondChart = await textOf(page.locator('.record__meta .mono'), /^\d+$/);
    expect(secondChart).not.toBe(firstChart);

    // Find the first one by a partial name typed without the diacritics.
    await page.getByRole('button', { name: 'Back to patients' }).click();
    await page.getByRole('combobox', { name: 'Find a patient' }).fill('zoe mul');
    await countOf(page.getByRole('option'), 2);
    await snap(page, 'search-results');
    await page.getByRole('option').filter({ hasText: firstChart }).click();
    await textOf(page.locator('.record__meta'), new RegExp(`Chart ${firstChart}`));

    // Change the phone number and see it in the field history.
    await page.getByRole('button', { name: 'Edit' }).click();
    const phone = page.getByLabel('Phone 1');
    expect(await phone.inputValue()).toBe('07911 123456');
    await phone.fill('020 7946 0958');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await textOf(page.locator('.phone'), /^020 7946 0958$/);
    await snap(page, 'patient-screen');
    await page.getByRole('button', { name: 'History' }).click();
    const change = page.locator('#patient-history tbody tr').filter({ hasText: 'Phone number' });
    const row = await textOf(change.first(), /020 7946 0958/);
    expect(row).toContain('Ada Admin');
    expect(row).toContain('Changed');
    await snap(page, 'patient-history');

    // Signing out leaves no patient data on screen or in the DOM.
    await page.getByRole('button', { name: 'Log out' }).click();
    await textOf(page.getByRole('heading', { level: 1 }), /Sign in/);
    const html = await page.content();
    for (const trace of ['Müller', 'Zoë', 'Penicillin', '7946', '07911', firstChart]) {
      expect(html, trace).not.toContain(trace);
    }
    expect(app.core.currentSession).toBeNull();
    expect(app.problems).toEqual([]);
  });
});
