import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { patientInput } from '../support/core';
import { startBrowserApp, unnamedControls, type BrowserApp } from '../support/browser';
import { countOf, snap, textOf } from './helpers';
import { setUpClinic } from './seed';

const AUDITOR = {
  displayName: 'Hana Head-Office',
  username: 'hana',
  password: 'orbit juniper mosaic thunder',
};

let app: BrowserApp | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

/** The `data-action` of every row of the trail on screen. */
function actionsShown(page: Page): Promise<string[]> {
  return page
    .locator('.audit-table tbody tr')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action') ?? ''));
}

describe('audit trail, end to end in Chromium', () => {
  it('lists the events of opening a patient, pages, verifies the chain and exports CSV', async () => {
    app = await startBrowserApp();
    const { page, core } = app;
    await setUpClinic(core);
    const zoe = await core.call('patients.create', { patient: patientInput() });
    const omar = await core.call('patients.create', {
      patient: patientInput({ givenNames: 'Omar', familyName: 'Haddad', phones: [], alerts: [] }),
      duplicatesReviewed: true,
    });
    // Enough openings of Omar's record for more than one page of the trail.
    for (let i = 0; i < 105; i += 1) await core.call('patients.get', { id: omar.id });
    // An emergency access waiting for review.
    await core.call('access.breakGlass', {
      patientId: omar.id,
      reason: 'Collapsed at reception, needed the medication list',
    });
    await page.reload();

    // The practice manager opens Zoë's record through the UI.
    await page.getByRole('combobox', { name: 'Find a patient' }).fill('müller');
    await countOf(page.getByRole('option'), 1);
    await page.keyboard.press('Enter');
    await textOf(page.locator('#record-title'), /^Müller, Zoë$/);

    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    await textOf(page.getByRole('heading', { level: 1 }), /^Audit trail$/);

    // Emergency access is reviewed from here.
    const review = page.getByRole('region', { name: 'Emergency access to review' });
    await textOf(review, /Collapsed at reception/);
    await review.getByRole('button', { name: /Mark .* reviewed/ }).click();
    await textOf(review, /No emergency access is waiting for review/);
    expect(await core.call('access.listBreakGlass', { unreviewedOnly: true })).toEqual([]);

    // Newest first, a page at a time.
    await textOf(page.locator('.audit__count'), /^100 events shown, older ones below$/);
    const seqs = await page
      .locator('.audit-table tbody tr td:first-child')
      .evaluateAll((cells) => cells.map((c) => Number(c.textContent)));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    await page.getByRole('button', { name: 'Load older' }).click();
    await textOf(page.locator('.audit__count'), /^1\d\d events shown$/);
    expect(await page.getByRole('button', { name: 'Load older' }).count()).toBe(0);

    // Filter by Zoë (picked by search) and by the opening of a record.
    const filters = page.getByRole('form', { name: 'Filter the audit trail' });
    await filters.getByRole('combobox', { name: 'Patient' }).fill('zoë');
    await filters.getByRole('option').filter({ hasText: 'Müller' }).click();
    await textOf(filters.locator('.audit-filters__picked'), /Zoë Müller/);
    await filters.getByLabel('Action').selectOption('patients.get');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await textOf(page.locator('.audit__count'), /^1 event shown$/);
    const row = await textOf(page.locator('.audit-table tbody tr').first(), /Opened a patient/);
    expect(row).toContain('Ada Admin');
    expect(row).toContain(zoe.id.slice(0, 8));
    expect(await actionsShown(page)).toEqual(['patients.get']);

    // Every event about Zoë (her registration, the opening), and nothing about Omar.
    await filters.getByLabel('Action').selectOption('');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await textOf(page.locator('.audit__count'), /^\d+ events shown$/);
    const aboutZoe = await actionsShown(page);
    expect(aboutZoe).toContain('patients.get');
    expect(aboutZoe).toContain('patients.create');
    const zoeCount = aboutZoe.length;
    const trail = await core.call('audit.list', { patientId: zoe.id, limit: 500 });
    expect(zoeCount).toBe(trail.items.length);

    // Dates: a range that ended yesterday finds nothing.
    const today = new Date().toISOString().slice(0, 10);
    await filters.getByLabel('To').fill('2001-01-01');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await textOf(page.locator('.audit__count'), /^No events match these filters\.$/);
    await filters.getByLabel('From').fill(today);
    await filters.getByLabel('To').fill(today);
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await textOf(page.locator('.audit__count'), new RegExp(`^${zoeCount} events shown$`));

    // The chain holds.
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await textOf(
      page.getByTestId('verify-result'),
      /^Chain intact: \d+ events checked, no broken link/,
    );

    // Export the filtered trail: a real download, names of staff but none of patients.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-trail-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = fs.readFileSync(await download.path(), 'utf8').replace(/^\ufeff/, '');
    const lines = csv.trim().split(/\r\n/);
    expect(lines[0]).toBe(
      'seq,id,at,actor_id,actor_name,action,subject_id,target_table,target_id,fields,reason',
    );
    expect(lines.length - 1).toBe(zoeCount);
    expect(lines.slice(1).every((l) => l.includes(zoe.id))).toBe(true);
    expect(lines.some((l) => l.includes(',patients.get,'))).toBe(true);
    for (const trace of ['Müller', 'Zoë', 'Penicillin', '07911']) expect(csv).not.toContain(trace);
    await textOf(page.locator('.audit__export-note'), new RegExp(`^${zoeCount} events exported`));

    const names = await unnamedControls(page);
    expect(names.unnamed).toEqual([]);
    await snap(page, 'audit');
    expect(app.problems).toEqual([]);
  });

  it('the auditor sees only the audit trail and filters by a pasted patient id', async () => {
    app = await startBrowserApp();
    const { page, core } = app;
    await setUpClinic(core);
    const zoe = await core.call('patients.create', { patient: patientInput() });
    await core.call('patients.get', { id: zoe.id });
    await core.call('staff.add', { ...AUDITOR, role: 'auditor' });
    await core.call('session.logout', {});
    await page.reload();
    await page.getByLabel('Username').fill(AUDITOR.username);
    await page.getByLabel('Password').fill(AUDITOR.password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await textOf(page.getByRole('heading', { level: 1 }), /^Audit trail$/);
    const nav = await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button')
      .allInnerTexts();
    expect(nav).toEqual(['Audit']);
    // No patient search and no staff list for this role: ids are typed instead.
    const filters = page.getByRole('form', { name: 'Filter the audit trail' });
    expect(await filters.getByRole('combobox', { name: 'Patient' }).count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Emergency access to review' }).count()).toBe(0);
    await filters.getByLabel('User id').fill('not an id');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await textOf(filters.locator('#audit-actor-error'), /Not a record id/);
    await filters.getByLabel('User id').fill('');
    await filters.getByLabel('Patient id').fill(zoe.id);
    await filters.getByLabel('Action').selectOption('patients.get');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await textOf(page.locator('.audit__count'), /^1 event shown$/);
    expect(await actionsShown(page)).toEqual(['patients.get']);
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await textOf(page.getByTestId('verify-result'), /^Chain intact/);
    expect(app.problems).toEqual([]);
  });
});
