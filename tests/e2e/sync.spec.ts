import type { Page } from 'playwright-core';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import type { FetchLike } from '../../electron/core/sync/transport';
import { addDays } from '../../shared/scheduling';
import { ADMIN, patientInput } from '../support/core';
import { startBrowserApp, type BrowserApp } from '../support/browser';
import { startLoopbackRelay, type LoopbackRelay } from '../support/sync';
import { at, setUpBook } from '../integration/scheduling-clinic';
import { snap, textOf } from './helpers';

/**
 * A network each workstation reaches the relay through, that the test can cut: requests then
 * fail as when the cable is out, and open event streams drop.
 */
class Network {
  online = true;
  private readonly open = new Set<AbortController>();

  readonly fetch: FetchLike = async (url, init) => {
    if (!this.online) throw new TypeError('fetch failed: offline');
    const controller = new AbortController();
    this.open.add(controller);
    const signal = init.signal
      ? AbortSignal.any([init.signal, controller.signal])
      : controller.signal;
    try {
      return await fetch(url, { ...init, signal });
    } finally {
      // Streams stay registered until cut: their body is still being read.
      if (!String(url).endsWith('/events')) this.open.delete(controller);
    }
  };

  cut(): void {
    this.online = false;
    for (const c of this.open) c.abort();
    this.open.clear();
  }
}

const apps: BrowserApp[] = [];
let relay: LoopbackRelay | null = null;
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  await relay?.close();
  relay = null;
});

async function workstation(network: Network): Promise<BrowserApp> {
  const app = await startBrowserApp({
    core: {
      sync: {
        fetch: network.fetch,
        debounceMs: 50,
        pullIntervalMs: 1_000,
        joinPollMs: 200,
        backoffMaxMs: 1_000,
      },
    },
  });
  apps.push(app);
  await app.core.call('setup.createClinic', {
    clinic: {
      name: 'Riverside Dental',
      timeZone: 'Europe/London',
      country: 'GB',
      locale: 'en-GB',
      ageOfConsent: 16,
    },
    admin: ADMIN,
  });
  await app.page.reload();
  await textOf(app.page.locator('.topbar__clinic'), /Riverside Dental/);
  return app;
}

const indicator = (page: Page) => page.locator('.sync-indicator__button');

/** The indicator in the top bar opens the sync screen. */
async function openSync(page: Page): Promise<void> {
  await indicator(page).click();
  await textOf(page.getByRole('heading', { level: 1 }), /^Sync$/);
}

/** The first weekday at least a week ahead, as a London date. */
function nextWeekday(): string {
  let day = addDays(new Date().toISOString().slice(0, 10), 7);
  while ([0, 6].includes(new Date(`${day}T12:00:00Z`).getUTCDay())) day = addDays(day, 1);
  return day;
}

describe('two workstations and a relay, in Chromium', () => {
  it('enrols a second workstation by pairing code and fingerprint, shows a patient registered on the first, and the same double booking on both', async () => {
    relay = await startLoopbackRelay();
    const netA = new Network();
    const netB = new Network();
    const a = await workstation(netA);
    const b = await workstation(netB);
    await textOf(indicator(a.page), /Sync off/);

    // The first workstation sets the clinic up on the relay.
    await openSync(a.page);
    await a.page.getByLabel('Relay address').first().fill(relay.url);
    await a.page.getByLabel('Name of this workstation').first().fill('Front desk');
    await a.page.getByRole('button', { name: 'Set up on the relay' }).click();
    await textOf(indicator(a.page), /^Synced/);
    const clinicCode = await textOf(
      a.page.locator('.facts__row').filter({ hasText: 'Clinic code' }).locator('dd'),
      /\S+/,
    );

    // The second asks to join and shows its pairing code and fingerprint.
    await openSync(b.page);
    const join = b.page.locator('form').filter({ hasText: 'Clinic code' });
    await join.getByLabel('Relay address').fill(relay.url);
    await join.getByLabel('Clinic code').fill(clinicCode);
    await join.getByLabel('Name of this workstation').fill('Surgery 2');
    await b.page.getByRole('button', { name: 'Ask to join' }).click();
    const code = await textOf(b.page.getByTestId('pairing-code'), /^[0-9A-Z]{12}$/);
    const fingerprint = await textOf(b.page.getByTestId('pairing-fingerprint'), /^[0-9A-F ]{39}$/);
    await textOf(indicator(b.page), /Waiting for approval/);
    await snap(b.page, 'sync-join-code');

    // An administrator on the first enters the code and compares the fingerprint.
    await a.page.getByLabel('Pairing code').fill(code);
    await a.page.getByRole('button', { name: 'Look up' }).click();
    expect(await textOf(a.page.getByTestId('approve-fingerprint'), /\S/)).toBe(fingerprint);
    await a.page.getByLabel('Fingerprint shown on the new workstation').fill(fingerprint);
    await snap(a.page, 'sync-approve');
    await a.page.getByRole('button', { name: 'Approve' }).click();
    await textOf(a.page.getByRole('status').filter({ hasText: 'is approved' }), /Surgery 2/);
    await textOf(indicator(b.page), /^Synced/, 20_000);
    await textOf(
      a.page.locator('.sync-table').first(),
      /Front desk \(this workstation\)[\s\S]*Surgery 2/,
    );

    // A patient registered on the first appears on the second.
    const patient = await a.core.call('patients.create', {
      patient: patientInput({ givenNames: 'Quentin', familyName: 'Okafor' }),
    });
    await b.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button', { name: 'Patients' })
      .click();
    await b.page.getByRole('combobox', { name: 'Find a patient' }).fill('okafor');
    await textOf(b.page.locator('.patient-row').filter({ hasText: 'Okafor' }), /Quentin/, 15_000);

    // Both go offline and book the same chair at the same time.
    const book = await setUpBook(a.core);
    await textOf(indicator(b.page), /^Synced/);
    await expect
      .poll(async () => (await b.core.call('scheduling.setup', {})).setup.chairs.length, {
        timeout: 15_000,
      })
      .toBe(3);
    const other = await b.core.call('patients.create', {
      patient: patientInput({ givenNames: 'Ines', familyName: 'Duarte', phones: [], email: null }),
    });
    await expect
      .poll(async () => (await a.core.call('patients.search', { query: 'duarte' })).items.length, {
        timeout: 15_000,
      })
      .toBe(1);
    netA.cut();
    netB.cut();
    await textOf(indicator(a.page), /Offline/, 15_000);
    await textOf(indicator(b.page), /Offline/, 15_000);
    const day = nextWeekday();
    for (const [core, who] of [
      [a.core, patient.id],
      [b.core, other.id],
    ] as const)
      await core.call('appointments.book', {
        appointment: {
          id: uuidv7(),
          patientId: who,
          chairId: book.chairs[0],
          providerId: book.hygienist,
          typeId: book.scale,
          start: at(day, '10:00'),
        },
      });
    await textOf(indicator(a.page), /Offline · \d+ waiting/);
    await snap(a.page, 'sync-offline');
    netA.online = true;
    netB.online = true;
    await textOf(indicator(a.page), /^Synced/, 20_000);
    await textOf(indicator(b.page), /^Synced/, 20_000);

    // Both show the same clash in the conflict inbox, reached from the sync screen.
    const inbox: string[] = [];
    for (const app of [a, b]) {
      await expect
        .poll(
          async () =>
            (await app.core.call('conflicts.list', { from: day, to: day })).filter(
              (c) => c.kind === 'chair',
            ).length,
          { timeout: 15_000 },
        )
        .toBe(1);
      await openSync(app.page);
      await app.page.getByRole('button', { name: 'Open the conflict inbox' }).click();
      inbox.push(await textOf(app.page.locator('.conflicts li').first(), /Chair 1/, 15_000));
    }
    expect(inbox[1]).toBe(inbox[0]);
    await snap(b.page, 'sync-conflict-inbox');
    for (const app of [a, b]) expect(app.problems).toEqual([]);
  });
});
