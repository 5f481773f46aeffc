import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/core';
import { startBrowserApp, type BrowserApp } from '../support/browser';
import { textOf } from './helpers';
import { setUpClinic } from './seed';

let app: BrowserApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

describe('recovery key', () => {
  it('sets a new password with the recovery key, refusing a wrong key and a weak password', async () => {
    app = await startBrowserApp();
    const { page, core } = app;
    const recoveryKey = await setUpClinic(core);
    await core.logout('logout');
    await page.reload();
    await textOf(page.getByRole('heading', { level: 1 }), /Sign in to Riverside Dental/);
    await page.getByRole('button', { name: 'Use recovery key' }).click();

    const newPassword = 'quiet lantern orbit meadow';
    await page.getByLabel('Recovery key').fill('AAAA-BBBB-CCCC');
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password').fill(newPassword);
    await page.getByRole('button', { name: 'Set new password and sign in' }).click();
    await textOf(page.getByRole('alert'), /recovery key is not right/);
    expect(core.currentSession).toBeNull();

    await page.getByLabel('Recovery key').fill(recoveryKey);
    await page.getByLabel('New password', { exact: true }).fill('letmein');
    await page.getByLabel('Confirm new password').fill('letmein');
    await page.getByRole('button', { name: 'Set new password and sign in' }).click();
    await textOf(page.locator('#recover-password-error'), /too easy to guess/);

    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password').fill(newPassword);
    await page.getByRole('button', { name: 'Set new password and sign in' }).click();
    await textOf(page.locator('.topbar__who'), /Ada Admin/);

    // The new password is the one that works from now on.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await textOf(page.getByRole('alert'), /not right/);
    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await textOf(page.locator('.topbar__who'), /Ada Admin/);
  });
});
