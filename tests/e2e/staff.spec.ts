import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { ADMIN, patientInput } from '../support/core';
import { startBrowserApp, unnamedControls, type BrowserApp } from '../support/browser';
import { countOf, snap, textOf } from './helpers';
import { setUpClinic } from './seed';

const RITA = {
  displayName: 'Rita Reception',
  username: 'rita',
  password: 'lantern orchard velvet pebble',
};
const CLEO = {
  displayName: 'Cleo Chairside',
  username: 'cleo',
  password: 'harbour tulip granite meadow',
};

let app: BrowserApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

function navItems(page: Page): Promise<string[]> {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('button').allInnerTexts();
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await textOf(page.getByRole('heading', { level: 1 }), /Sign in/);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The row of the staff table for a person, by their name. */
function staffRow(page: Page, name: string) {
  return page.locator('.staff-table tbody tr').filter({ hasText: name });
}

describe('staff accounts, end to end in Chromium', () => {
  it('the practice manager adds a receptionist, who signs in and sees only the front desk', async () => {
    app = await startBrowserApp();
    const { page, core } = app;
    await setUpClinic(core);
    await core.call('patients.create', { patient: patientInput() });
    await page.reload();
    await textOf(page.locator('#finder-status'), /^1 patients?$/);
    expect(await navItems(page)).toEqual([
      'Appointments',
      'Patients',
      'Staff',
      'Audit',
      'Settings',
    ]);

    await page.getByRole('button', { name: 'Staff', exact: true }).click();
    await textOf(staffRow(page, 'Ada Admin'), /admin\s*Practice manager/);
    await textOf(staffRow(page, 'Ada Admin'), /You/);

    // Add Rita: a weak first password and a mistyped confirmation are caught first.
    await page.getByRole('button', { name: 'Add member of staff' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a member of staff' });
    await dialog.getByLabel('Full name').fill(RITA.displayName);
    await dialog.getByLabel('Username').fill(RITA.username);
    await dialog.getByLabel('Role').selectOption('receptionist');
    await textOf(dialog.locator('#staff-role-hint'), /not clinical notes/);
    await dialog.getByLabel('First password', { exact: true }).fill('rita2024');
    await dialog.getByLabel('Confirm first password').fill('rita2024');
    await textOf(dialog.locator('.strength__text'), /not strong enough/);
    await dialog.getByRole('button', { name: 'Add member of staff' }).click();
    await textOf(dialog.locator('#staff-password-error'), /too easy to guess/);
    await dialog.getByLabel('First password', { exact: true }).fill(RITA.password);
    await dialog.getByLabel('Confirm first password').fill(`${RITA.password}x`);
    await dialog.getByRole('button', { name: 'Add member of staff' }).click();
    await textOf(dialog.locator('#staff-confirm-error'), /not the same/);
    await dialog.getByLabel('Confirm first password').fill(RITA.password);
    await textOf(dialog.locator('.strength__text'), /good to use/);
    await snap(page, 'staff-add');
    await dialog.getByRole('button', { name: 'Add member of staff' }).click();
    await textOf(page.getByRole('status').filter({ hasText: 'can now sign in' }), /rita/);
    await textOf(staffRow(page, RITA.displayName), /rita\s*Receptionist\s*—\s*Active/);
    expect(await dialog.isVisible()).toBe(false);
    const names = await unnamedControls(page);
    expect(names.unnamed).toEqual([]);
    await snap(page, 'staff');

    // Rita signs in: no staff, audit or settings, but she finds patients.
    await page.getByRole('button', { name: 'Log out' }).click();
    await signIn(page, RITA.username, RITA.password);
    await textOf(page.locator('.topbar__who'), /Rita Reception\s*Receptionist/);
    expect(await navItems(page)).toEqual(['Appointments', 'Patients']);
    await page.getByRole('button', { name: 'Patients' }).click();
    await page.getByRole('combobox', { name: 'Find a patient' }).fill('müller');
    await countOf(page.getByRole('option'), 1);
    await page.keyboard.press('Enter');
    await textOf(page.locator('#record-title'), /^Müller, Zoë$/);
    // Hiding is not the protection: the core refuses her the staff list outright.
    const refused = await page.evaluate(async () => {
      const response = await fetch('/api/invoke/staff.list', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-enamel-token': sessionStorage.getItem('enamel.token') ?? '',
        },
        body: '{}',
      });
      return response.json();
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_ALLOWED' } });

    // She changes her own password from the menu under her name, with the keyboard.
    await page.getByRole('button', { name: /Rita Reception/ }).focus();
    await page.keyboard.press('Enter');
    // The menu opens with its first item focused.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(
      'Change my password',
    );
    await snap(page, 'user-menu');
    await page.keyboard.press('Enter');
    const change = page.getByRole('dialog', { name: 'Change my password' });
    await change.getByLabel('Current password').fill('not it');
    await change.getByLabel('New password', { exact: true }).fill('copper lantern violet ridge');
    await change.getByLabel('Confirm new password').fill('copper lantern violet ridge');
    await change.getByRole('button', { name: 'Change password' }).click();
    await textOf(change.locator('#change-current-error'), /current password is not right/);
    await change.getByLabel('Current password').fill(RITA.password);
    await change.getByRole('button', { name: 'Change password' }).click();
    await textOf(page.getByRole('dialog', { name: 'Password changed' }), /was changed/);
    await page.keyboard.press('Escape');
    expect(await page.getByRole('dialog').count()).toBe(0);
    await page.getByRole('button', { name: 'Log out' }).click();
    await signIn(page, RITA.username, RITA.password);
    await textOf(page.getByRole('alert'), /username or password is not right/);
    await page.getByLabel('Password').fill('copper lantern violet ridge');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await textOf(page.locator('.topbar__who'), /Rita Reception/);
    expect(app.problems).toEqual([]);
  });

  it('edits, disables, enables and removes accounts, and replaces the recovery key', async () => {
    app = await startBrowserApp();
    const { page, core } = app;
    const oldRecoveryKey = await setUpClinic(core);
    await core.call('staff.add', { ...RITA, role: 'receptionist' });
    await core.call('staff.add', { ...CLEO, role: 'clinician' });
    await page.reload();
    await page.getByRole('button', { name: 'Staff', exact: true }).click();
    await textOf(staffRow(page, CLEO.displayName), /cleo\s*Clinician/);
    // Nobody can disable or remove themselves from here.
    expect(
      await staffRow(page, 'Ada Admin')
        .getByRole('button', { name: /Disable|Remove/ })
        .count(),
    ).toBe(0);

    // Edit Cleo's name and role.
    await page.getByRole('button', { name: `Edit ${CLEO.displayName}` }).click();
    const edit = page.getByRole('dialog', { name: `Edit ${CLEO.displayName}` });
    expect(await edit.getByLabel('Username').inputValue()).toBe(CLEO.username);
    expect(await edit.getByLabel('First password', { exact: true }).count()).toBe(0);
    await edit.getByLabel('Full name').fill('Cleo Chairside-Okafor');
    await edit.getByLabel('Role').selectOption('practice_manager');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await textOf(staffRow(page, 'Cleo Chairside-Okafor'), /cleo\s*Practice manager/);

    // Disable Rita: the dialog says what happens to her key and sessions.
    await page.getByRole('button', { name: `Disable ${RITA.displayName}` }).click();
    const disable = page.getByRole('dialog', { name: `Disable ${RITA.displayName}?` });
    await textOf(disable, /sessions? .*ends at once.*database key is\s+rotated/s);
    await disable.getByRole('button', { name: 'Disable account' }).click();
    await textOf(staffRow(page, RITA.displayName), /Disabled/);
    expect(
      (await core.call('staff.list', {})).find((m) => m.username === RITA.username)?.status,
    ).toBe('disabled');

    // Enabling needs a new first password.
    await page.getByRole('button', { name: `Enable ${RITA.displayName}` }).click();
    const enable = page.getByRole('dialog', { name: `Enable ${RITA.displayName}` });
    await enable.getByLabel('New first password').fill('walnut comet saffron island');
    await enable.getByLabel('Confirm password').fill('walnut comet saffron island');
    await enable.getByRole('button', { name: 'Enable account' }).click();
    await textOf(staffRow(page, RITA.displayName), /Active/);

    // Remove Cleo: explained, confirmed, listed as removed with no actions left.
    await page.getByRole('button', { name: 'Remove Cleo Chairside-Okafor' }).click();
    const remove = page.getByRole('dialog', { name: 'Remove Cleo Chairside-Okafor?' });
    await textOf(remove, /cannot be undone.*audit\s+trail.*database key is\s+rotated/s);
    await snap(page, 'staff-remove');
    await remove.getByRole('button', { name: 'Remove member of staff' }).click();
    await textOf(staffRow(page, 'Cleo Chairside-Okafor'), /Removed/);
    expect(await staffRow(page, 'Cleo Chairside-Okafor').getByRole('button').count()).toBe(0);

    // Replace the recovery key: the manager's password first, then the key once.
    await page.getByRole('button', { name: 'Replace recovery key…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Replace the recovery key' });
    await confirm.getByLabel('Your password').fill('not it');
    await confirm.getByRole('button', { name: 'Replace recovery key' }).click();
    await textOf(confirm.locator('#recovery-confirm-password-error'), /not right/);
    await confirm.getByLabel('Your password').fill(ADMIN.password);
    await confirm.getByRole('button', { name: 'Replace recovery key' }).click();
    const shown = page.getByRole('dialog', { name: 'Your new recovery key' });
    const newKey = await textOf(shown.getByTestId('new-recovery-key'), /\S{16,}/);
    expect(newKey).not.toBe(oldRecoveryKey);
    const done = shown.getByRole('button', { name: 'Done' });
    expect(await done.isDisabled()).toBe(true);
    // Escape does not throw the key away unseen.
    await page.keyboard.press('Escape');
    expect(await shown.isVisible()).toBe(true);
    await shown.getByLabel('I have stored this key safely').check();
    await done.click();
    await textOf(
      page.getByRole('status').filter({ hasText: 'recovery key was replaced' }),
      /old one/,
    );
    expect(await page.content()).not.toContain(newKey);

    // Signed out, the old key opens nothing and the new one does.
    await page.getByRole('button', { name: 'Log out' }).click();
    await textOf(page.getByRole('heading', { level: 1 }), /Sign in/);
    const old = await core
      .call('session.recover', {
        recoveryKey: oldRecoveryKey,
        username: RITA.username,
        newPassword: 'ember quartz willow canyon',
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(old).toBeInstanceOf(AppError);
    expect(core.currentSession).toBeNull();
    await core.call('session.recover', {
      recoveryKey: newKey,
      username: RITA.username,
      newPassword: 'ember quartz willow canyon',
    });
    expect(core.currentSession?.username).toBe(RITA.username);
    expect(app.problems).toEqual([]);
  });
});
