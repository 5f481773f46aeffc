import { v7 as uuidv7 } from 'uuid';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { todayIn } from '../../shared/dates';
import { utcToZoned, zonedToUtc } from '../../shared/scheduling';
import { patientInput } from '../support/core';
import { startBrowserApp, unnamedControls, type BrowserApp } from '../support/browser';
import { snap, textOf } from './helpers';
import { setUpClinic } from './seed';

const ZONE = 'Europe/London';
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

interface Clinic {
  chairs: [string, string, string];
  dentist: string;
  checkUp: string;
  zoe: string;
  omar: string;
  omarsBooking: string;
}

/** Three chairs, one dentist, open 07:00-21:00 every day, two patients, one booking at 10:00. */
async function setUpBook(app: BrowserApp, today: string): Promise<Clinic> {
  const { core } = app;
  await setUpClinic(core);
  await core.call('staff.add', { ...RECEPTIONIST, role: 'receptionist' });
  const chairs: [string, string, string] = [uuidv7(), uuidv7(), uuidv7()];
  for (const [i, id] of chairs.entries()) {
    await core.call('scheduling.saveChair', { chair: { id, name: `Chair ${i + 1}` } });
  }
  const dentist = uuidv7();
  await core.call('scheduling.saveProvider', {
    provider: { id: dentist, name: 'Dr Rao', kind: 'dentist', colour: '#1E88E5' },
  });
  const checkUp = uuidv7();
  await core.call('scheduling.saveType', {
    type: {
      id: checkUp,
      name: 'Check-up',
      durationUnits: 6,
      colour: '#FB8C00',
      allowedProviderKinds: ['dentist'],
    },
  });
  const day = [{ start: '07:00', end: '21:00' }];
  await core.call('scheduling.setOpeningHours', {
    openingHours: {
      weekly: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day },
    },
  });
  const zoe = (
    await core.call('patients.create', {
      patient: patientInput({ preferredName: 'Zo' }),
    })
  ).id;
  const omar = (
    await core.call('patients.create', {
      patient: patientInput({
        givenNames: 'Omar',
        familyName: 'Haddad',
        email: null,
        phones: [],
        alerts: [],
      }),
      duplicatesReviewed: true,
    })
  ).id;
  const omarsBooking = uuidv7();
  await core.call('appointments.book', {
    appointment: {
      id: omarsBooking,
      patientId: omar,
      chairId: chairs[0],
      providerId: dentist,
      typeId: checkUp,
      start: zonedToUtc(today, '10:00', ZONE),
    },
  });
  await core.call('session.logout', {});
  return { chairs, dentist, checkUp, zoe, omar, omarsBooking };
}

/** Screen coordinates of a wall-clock time in a column of the book. */
async function pointAt(page: Page, column: string, date: string, time: string) {
  const columns = page.locator('.book__columns');
  const start = Number(await columns.getAttribute('data-window-start'));
  const ppm = Number(await columns.getAttribute('data-px-per-minute'));
  const box = await page.locator(`.book__col[aria-label="${column}"]`).boundingBox();
  if (!box) throw new Error(`No column ${column}`);
  const minutes = (zonedToUtc(date, time, ZONE) - start) / 60_000;
  return { x: box.x + box.width / 2, y: box.y + minutes * ppm };
}

/** Scrolls the book so the time is on screen; returns its coordinates. */
async function showTime(page: Page, column: string, date: string, time: string) {
  const columns = page.locator('.book__columns');
  const start = Number(await columns.getAttribute('data-window-start'));
  const ppm = Number(await columns.getAttribute('data-px-per-minute'));
  const minutes = (zonedToUtc(date, time, ZONE) - start) / 60_000;
  await page.locator('.book__scroll').evaluate((el, y) => {
    el.scrollTop = Math.max(0, y - 120);
  }, minutes * ppm);
  return pointAt(page, column, date, time);
}

async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  // In steps, as a hand would: the book only starts a drag after a few pixels.
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 5 });
  await page.mouse.move(to.x, to.y, { steps: 5 });
  await page.mouse.up();
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 200 && Date.now() < deadline; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

describe('the appointment book, end to end in Chromium', () => {
  it('books, drags, refuses a double booking until overridden, checks in, completes and finds a slot', async () => {
    app = await startBrowserApp({ timezoneId: ZONE });
    const { page, core } = app;
    const today = todayIn(ZONE);
    const clinic = await setUpBook(app, today);

    // The receptionist signs in and lands on today's book.
    await page.reload();
    await page.getByLabel('Username').fill(RECEPTIONIST.username);
    await page.getByLabel('Password').fill(RECEPTIONIST.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await textOf(page.locator('#schedule-title'), /Today/);
    expect(
      await page.getByRole('button', { name: 'Appointments' }).getAttribute('aria-current'),
    ).toBe('page');
    await textOf(page.locator('.appt').first(), /10:00\s*Omar Haddad/);

    // Book from a free slot: drag 09:00-09:30 in Chair 2, then choose the patient and type.
    const from = await showTime(page, 'Chair 2', today, '09:00');
    const to = await pointAt(page, 'Chair 2', today, '09:30');
    await drag(page, from, to);
    await page.getByRole('combobox', { name: 'Patient' }).fill('zoe mul');
    await page.getByRole('option', { name: /Müller, Zoë/ }).click();
    await textOf(page.getByTestId('booking-patient'), /Zoë Müller|Müller/);
    await page.getByLabel('Type').selectOption({ label: 'Check-up (30 min)' });
    expect(await page.getByLabel('Start').inputValue()).toBe('09:00');
    await page.getByRole('button', { name: 'Book', exact: true }).click();
    await textOf(page.locator('.schedule__status'), /Booked 09:00–09:30 for/);
    const zoesCard = page.locator('.appt', { hasText: 'Zo Müller' });
    await textOf(zoesCard, /09:00/);
    const booked = (await core.call('appointments.range', { from: today })).appointments.find(
      (a) => a.patientId === clinic.zoe,
    )!;
    expect(booked).toMatchObject({ chairId: clinic.chairs[1], status: 'booked' });
    expect(utcToZoned(booked.start, ZONE).time).toBe('09:00');

    // Drag it to Chair 3 at 11:00 (grabbed near its top, clear of the resize edge).
    await showTime(page, 'Chair 2', today, '09:00');
    const card = (await zoesCard.boundingBox())!;
    const target = await pointAt(page, 'Chair 3', today, '11:00');
    await drag(
      page,
      { x: card.x + card.width / 2, y: card.y + 6 },
      { x: target.x, y: target.y + 6 },
    );
    await waitFor(async () => {
      const a = await core.call('appointments.get', { id: booked.id });
      return a.chairId === clinic.chairs[2] && utcToZoned(a.start, ZONE).time === '11:00';
    }, 'the dragged appointment to be in Chair 3 at 11:00');
    await textOf(zoesCard, /11:00/);

    // The keyboard does the same: down a grid step (10 minutes), then longer by one.
    await zoesCard.focus();
    await page.keyboard.press('ArrowDown');
    await waitFor(
      async () =>
        utcToZoned((await core.call('appointments.get', { id: booked.id })).start, ZONE).time ===
        '11:10',
      'the appointment to move down to 11:10',
    );
    await zoesCard.focus();
    await page.keyboard.press('Shift+ArrowDown');
    await waitFor(async () => {
      const a = await core.call('appointments.get', { id: booked.id });
      return (a.end - a.start) / 60_000 === 40;
    }, 'the appointment to grow to 40 minutes');

    // Booking over Omar's 10:00 in Chair 1 is refused, then made with a reason. The form is
    // opened on the free time just after his appointment, then moved onto it.
    const below = await showTime(page, 'Chair 1', today, '10:40');
    await drag(page, below, await pointAt(page, 'Chair 1', today, '11:10'));
    await page.getByRole('combobox', { name: 'Patient' }).fill('zoe');
    await page.getByRole('option', { name: /Müller, Zoë/ }).click();
    await page.getByLabel('Type').selectOption({ label: 'Check-up (30 min)' });
    await page.getByLabel('Start').fill('10:00');
    await textOf(page.locator('.clash-list'), /Chair 1 is double-booked 10:00–10:30/);
    await snap(page, 'booking-clash');
    await page.getByRole('button', { name: 'Book', exact: true }).click();
    await textOf(page.getByRole('dialog').getByRole('alert'), /double-booked/);
    expect((await core.call('appointments.range', { from: today })).appointments).toHaveLength(2);
    await page.getByLabel('Reason for booking anyway').fill('Emergency: swelling');
    await page.getByRole('button', { name: 'Book anyway' }).click();
    await waitFor(
      async () =>
        (await core.call('appointments.range', { from: today })).appointments.length === 3,
      'the overridden booking',
    );
    const overridden = (await core.call('appointments.range', { from: today })).appointments.find(
      (a) => a.patientId === clinic.zoe && utcToZoned(a.start, ZONE).time === '10:00',
    )!;
    const detail = await core.call('appointments.get', { id: overridden.id });
    expect(detail.acknowledgements.map((k) => [k.reason, k.byName])).toEqual([
      ['Emergency: swelling', RECEPTIONIST.displayName],
      ['Emergency: swelling', RECEPTIONIST.displayName],
    ]);

    // Check Omar in from today's arrivals, seat him and complete the visit.
    await page.getByRole('button', { name: 'Arrivals' }).click();
    await page.getByRole('button', { name: 'Check in Omar Haddad' }).click();
    await waitFor(
      async () =>
        (await core.call('appointments.get', { id: clinic.omarsBooking })).status === 'arrived',
      'Omar to be checked in',
    );
    await page
      .locator('.arrival', { hasText: 'Omar Haddad' })
      .getByRole('button', { name: 'Omar Haddad', exact: true })
      .click();
    await textOf(page.getByTestId('detail-status'), /Arrived/);
    await page.getByRole('button', { name: 'Seat in chair' }).click();
    await textOf(page.getByTestId('detail-status'), /In chair/);
    await page.getByRole('button', { name: 'Complete', exact: true }).click();
    await textOf(page.getByTestId('detail-status'), /Completed/);
    const history = (await core.call('appointments.get', { id: clinic.omarsBooking })).history;
    expect(history.map((h) => [h.status, h.byName])).toEqual([
      ['booked', 'Ada Admin'],
      ['arrived', RECEPTIONIST.displayName],
      ['in_chair', RECEPTIONIST.displayName],
      ['completed', RECEPTIONIST.displayName],
    ]);
    await snap(page, 'day-view');
    // Every control on the book has a name a screen reader can announce.
    expect((await unnamedControls(page)).unnamed).toEqual([]);

    // Find the next free slot for Omar with Dr Rao and book it in one click.
    await page.getByRole('button', { name: 'Find a free slot' }).click();
    await page.getByRole('combobox', { name: 'Patient (optional)' }).fill('omar');
    await page.getByRole('option', { name: /Haddad, Omar/ }).click();
    await page.getByLabel('Provider').selectOption({ label: 'Dr Rao' });
    await page.getByRole('button', { name: 'Search' }).click();
    const first = page.locator('.slot').first();
    await textOf(first, /Dr Rao/);
    const before = (await core.call('appointments.forPatient', { patientId: clinic.omar }))
      .upcoming;
    await first.getByRole('button', { name: 'Book' }).click();
    await textOf(page.locator('.panel [role="status"]'), /Booked .* for Omar Haddad/);
    const after = (await core.call('appointments.forPatient', { patientId: clinic.omar })).upcoming;
    expect(after.length).toBe(before.length + 1);
    const added = after.find((a) => !before.some((b) => b.id === a.id))!;
    // The search's first slot is free: no conflict was needed to book it.
    expect((await core.call('appointments.get', { id: added.id })).acknowledgements).toEqual([]);

    // The patient's record lists the visit, and the booking just made.
    await page.getByRole('button', { name: 'Appointments' }).click();
    await page.getByRole('button', { name: 'Arrivals' }).click();
    await page
      .locator('.arrival', { hasText: '10:00' })
      .filter({ hasText: 'Omar Haddad' })
      .getByRole('button', { name: 'Omar Haddad', exact: true })
      .click();
    await page.locator('.appt-detail__who').getByRole('button', { name: 'Omar Haddad' }).click();
    await textOf(page.locator('#record-title'), /Haddad, Omar/);
    const section = page.locator('.patient-appointments');
    await textOf(section, /Completed/);
    await textOf(
      section.locator('h3', { hasText: 'Coming up' }).locator('xpath=following-sibling::ul[1]'),
      /Check-up/,
    );
    await section.scrollIntoViewIfNeeded();
    await snap(page, 'patient-appointments');
    await page.getByRole('button', { name: 'Appointments' }).click();

    // The other views, and the conflict inbox with the accepted double booking not in it.
    await page.getByRole('button', { name: 'Conflicts' }).click();
    await textOf(page.locator('.panel'), /No open conflicts/);
    await page.getByRole('button', { name: 'Providers', exact: true }).click();
    await textOf(page.locator('.book__colhead').first(), /Dr Rao/);
    await snap(page, 'provider-view');
    await page.getByRole('button', { name: 'Week', exact: true }).click();
    await textOf(page.locator('#schedule-title'), /Week of/);
    await snap(page, 'week-view');

    expect(app.problems).toEqual([]);
  });
});

describe('setting up the book, as the practice manager', () => {
  it('adds a chair and a closure, and the book follows', async () => {
    app = await startBrowserApp({ timezoneId: ZONE });
    const { page, core } = app;
    const today = todayIn(ZONE);
    await setUpBook(app, today);
    await page.reload();
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The practice manager's home stays the patient list; the book is one click away.
    await textOf(page.locator('#finder-status'), /2 patients/);
    await page.getByRole('button', { name: 'Appointments' }).click();
    await page.getByRole('button', { name: 'Set-up' }).click();
    await page.getByRole('button', { name: 'Add a chair' }).click();
    await page.locator('.setup-row').last().getByLabel('Chair name').fill('Surgery 4');
    await page.locator('.setup-row').last().getByRole('button', { name: 'Add' }).click();
    await textOf(page.locator('.book__colhead').last(), /Surgery 4/);

    await page
      .getByRole('group', { name: 'Set-up section' })
      .getByRole('button', { name: 'Closures', exact: true })
      .click();
    await page.getByLabel('From').fill(today);
    await page.getByLabel('Closed').selectOption({ label: 'Chair 2' });
    await page.getByLabel('Reason').fill('Maintenance');
    await page.getByRole('button', { name: 'Add closure' }).click();
    await textOf(page.locator('.panel'), /Chair 2.*Maintenance/);
    const { setup } = await core.call('scheduling.setup', {});
    expect(setup.chairs.map((c) => c.name)).toEqual(['Chair 1', 'Chair 2', 'Chair 3', 'Surgery 4']);
    expect(setup.closures).toMatchObject([
      { startDate: today, endDate: today, reason: 'Maintenance' },
    ]);
    // Chair 2 is shaded closed all day now.
    expect(
      await page.locator('.book__col[aria-label="Chair 2"] .book__closed').count(),
    ).toBeGreaterThan(0);
    await snap(page, 'book-setup');
    for (const tab of ['Chairs', 'Providers', 'Types', 'Hours']) {
      await page
        .getByRole('group', { name: 'Set-up section' })
        .getByRole('button', { name: tab, exact: true })
        .click();
      expect((await unnamedControls(page)).unnamed, tab).toEqual([]);
    }
    expect(app.problems).toEqual([]);
  });
});
