import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, patientInput } from '../support/core';
import { startBrowserApp, unnamedControls, type BrowserApp } from '../support/browser';
import { countOf, snap, textOf } from './helpers';
import { setUpClinic } from './seed';

const RECEPTIONIST = {
  displayName: 'Rita Reception',
  username: 'rita',
  password: 'lantern orchard velvet pebble',
};
const REASON = 'Patient collapsed in the waiting room, ambulance asks for medication';

let app: BrowserApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

describe('emergency access, end to end in Chromium', () => {
  it('reception sees badges only, opens the details with a reason, and the manager reviews it', async () => {
    app = await startBrowserApp();
    const { page, core } = app;
    await setUpClinic(core);
    const rita = await core.call('staff.add', { ...RECEPTIONIST, role: 'receptionist' });
    const zoe = await core.call('patients.create', {
      patient: patientInput({
        alerts: [
          { kind: 'allergy', description: 'Penicillin', severity: 'high' },
          { kind: 'medication', description: 'Warfarin', severity: 'moderate' },
        ],
        notes: 'Faints at injections',
      }),
    });
    await core.call('session.logout', {});
    await page.reload();

    await page.getByLabel('Username').fill(RECEPTIONIST.username);
    await page.getByLabel('Password').fill(RECEPTIONIST.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await textOf(page.locator('.topbar__who'), /Rita Reception/);
    await page.getByRole('button', { name: 'Patients', exact: true }).click();
    await page.getByRole('combobox', { name: 'Find a patient' }).fill('müller');
    await countOf(page.getByRole('option'), 1);
    await page.keyboard.press('Enter');
    await textOf(page.locator('#record-title'), /^Müller, Zoë$/);

    // The badges, not the details: nothing clinical reached the page.
    await textOf(page.locator('.alerts'), /Allergy\s*Details restricted\s*High severity/i);
    await textOf(page.locator('.alerts'), /Medication\s*Details restricted\s*Moderate severity/i);
    const offer = page.getByRole('region', { name: 'Restricted — emergency access' });
    await textOf(offer, /shown to clinical staff/);
    for (const trace of ['Penicillin', 'Warfarin', 'Faints'])
      expect(await page.content()).not.toContain(trace);
    await snap(page, 'patient-restricted');

    // Emergency access: a reason of a few words, then the details open.
    await offer.getByRole('button', { name: 'Emergency access…' }).click();
    const form = page.getByRole('form', { name: 'Restricted — emergency access' });
    await form.getByLabel('Reason for emergency access').fill('urgent');
    await form.getByRole('button', { name: 'Open with emergency access' }).click();
    await textOf(form, /Explain the emergency/);
    await form.getByLabel('Reason for emergency access').fill(REASON);
    await snap(page, 'patient-restricted-reason');
    await form.getByRole('button', { name: 'Open with emergency access' }).click();
    await textOf(page.locator('.alerts'), /Allergy\s*Penicillin\s*High severity/i);
    await textOf(page.locator('.notes'), /Faints at injections/);
    await textOf(page.locator('.emergency-active'), /^Emergency access until .*audit trail/);
    expect(await page.getByRole('region', { name: 'Restricted — emergency access' }).count()).toBe(
      0,
    );
    const names = await unnamedControls(page);
    expect(names.unnamed).toEqual([]);
    await snap(page, 'patient-emergency');

    const granted = core
      .openStore!.sqlite.prepare(
        "SELECT actor_id, subject_id, reason FROM audit_event WHERE action = 'patient.break_glass'",
      )
      .all();
    expect(granted).toEqual([{ actor_id: rita.id, subject_id: zoe.id, reason: REASON }]);

    // Reading is all the grant allows: the form still leaves the clinical fields out.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await textOf(page.locator('#patient-form-title'), /^Edit Müller, Zoë$/);
    await textOf(page.locator('.patient-form'), /Medical alerts are recorded by clinical staff/);
    expect(await page.getByRole('button', { name: 'Add alert' }).count()).toBe(0);
    expect(await page.getByLabel('Notes', { exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await textOf(page.locator('#record-title'), /^Müller, Zoë$/);

    // The practice manager finds it waiting for review, with what Rita did with the record.
    await core.call('session.logout', {});
    await page.reload();
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await textOf(page.locator('.topbar__who'), /Ada Admin/);
    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    const review = page.getByRole('region', { name: 'Emergency access to review' });
    await textOf(review, /Rita Reception[\s\S]*ambulance asks for medication[\s\S]*Still open/);
    await review.getByRole('button', { name: /Show Rita Reception’s activity/ }).click();
    await textOf(page.locator('.audit__count'), /^\d+ events? shown$/);
    const actions = await page
      .locator('.audit-table tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action') ?? ''));
    expect(actions).toContain('patient.break_glass');
    expect(actions).toContain('patients.get');
    expect(new Set(actions).size).toBeGreaterThan(1);
    await snap(page, 'audit-emergency-review');
    await review
      .getByRole('button', { name: /Mark Rita Reception’s emergency access reviewed/ })
      .click();
    await textOf(review, /No emergency access is waiting for review/);
    expect(await core.call('access.listBreakGlass', {})).toEqual([]);
    expect(app.problems).toEqual([]);
  });
});
