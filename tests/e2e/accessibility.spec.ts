import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, patientInput } from '../support/core';
import { startBrowserApp, unnamedControls, type BrowserApp } from '../support/browser';
import { snap, textOf } from './helpers';
import { setUpClinic } from './seed';

let app: BrowserApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

/** Every visible input, select, textarea and button has a name Chromium can announce. */
async function expectAllNamed(screen: string, atLeast: number): Promise<void> {
  const { checked, unnamed } = await unnamedControls(app!.page);
  expect(unnamed, screen).toEqual([]);
  expect(checked, screen).toBeGreaterThanOrEqual(atLeast);
}

describe('accessible names', () => {
  it('names every control on the setup, recovery and sign-in screens', async () => {
    app = await startBrowserApp();
    const { page } = app;
    await textOf(page.getByRole('heading', { level: 1 }), /Set up Enamel/);
    await expectAllNamed('setup', 10);

    await page.getByLabel('Clinic name').fill('Riverside Dental');
    await page.getByLabel('Full name').fill(ADMIN.displayName);
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Confirm password').fill(ADMIN.password);
    await page.getByLabel('Country', { exact: true }).fill('GB');
    await page.getByRole('button', { name: 'Create clinic' }).click();
    await textOf(page.getByTestId('recovery-key'), /\S{16,}/);
    await expectAllNamed('recovery key', 3);

    await page.getByLabel('I have stored this key safely').check();
    await page.getByRole('button', { name: 'Continue to Enamel' }).click();
    await page.getByRole('button', { name: 'Log out' }).click();
    await textOf(page.getByRole('heading', { level: 1 }), /Sign in/);
    await expectAllNamed('sign in', 4);
    await page.getByRole('button', { name: 'Use recovery key' }).click();
    await textOf(page.getByRole('heading', { level: 1 }), /recovery key/);
    await expectAllNamed('recovery sign in', 6);
    expect(app.problems).toEqual([]);
  });

  it('names every control on the patient screens, with every list opened', async () => {
    app = await startBrowserApp();
    const { page, core } = app;
    await setUpClinic(core);
    await core.call('patients.create', { patient: patientInput() });
    await page.reload();
    await textOf(page.locator('#finder-status'), /^1 patients?$/);
    await expectAllNamed('finder', 3);

    await page.getByRole('button', { name: /New patient/ }).click();
    for (const add of ['Add phone', 'Add alert', 'Add document', 'Add policy']) {
      await page.getByRole('button', { name: add }).click();
    }
    await page.getByRole('button', { name: 'Add emergency contact' }).click();
    await page.getByLabel('Who is the guardian').selectOption('contact');
    await expectAllNamed('patient form, guardian contact', 35);
    await page.getByLabel('Who is the guardian').selectOption('patient');
    await page.getByLabel('Find the guardian').fill('zoe');
    await textOf(page.getByRole('list', { name: 'Possible guardians' }), /Müller, Zoë/);
    await expectAllNamed('patient form, guardian picker', 35);

    // The form explains what is missing next to each input.
    await page.getByLabel('Date of birth').fill('01/02/2015');
    await page.getByRole('button', { name: 'Register patient' }).click();
    await textOf(page.locator('#pf-givenNames-error'), /Given names is required/);
    expect(await page.getAttribute('#pf-givenNames', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#pf-givenNames', 'aria-describedby')).toContain(
      'pf-givenNames-error',
    );
    await textOf(page.locator('#pf-phones-0-number-error'), /Phone number is required/);
    await textOf(page.getByRole('note'), /under 16, so a guardian must be recorded/);
    await snap(page, 'patient-form-errors');

    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('combobox', { name: 'Find a patient' }).fill('zoe');
    await page.getByRole('option').first().click();
    await textOf(page.locator('#record-title'), /Müller, Zoë/);
    await page.getByRole('button', { name: 'History' }).click();
    await textOf(page.locator('#patient-history'), /Phone number/);
    await expectAllNamed('patient record', 5);
    await page.getByRole('button', { name: 'Archive' }).click();
    await textOf(page.getByRole('dialog', { name: 'Archive this patient?' }), /retention/);
    await expectAllNamed('archive dialog', 2);
    await page.getByRole('dialog').getByRole('button', { name: 'Archive patient' }).click();
    await textOf(page.locator('.record__meta .status'), /^Archived$/);
    expect(app.problems).toEqual([]);
  });
});
