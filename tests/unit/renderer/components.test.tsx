// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTransport } from '../../../renderer/api/client';
import { HistoryPanel } from '../../../renderer/features/patients/HistoryPanel';
import { usePatients } from '../../../renderer/features/patients/store';
import { LoginScreen } from '../../../renderer/features/login/LoginScreen';
import { useSession } from '../../../renderer/stores/session';
import type { FieldChange } from '../../../shared/domain/patient';
import { FakeTransport } from './fake-transport';
import { buttonNamed, byLabel, click, render, settle, typeInto, type Rendered } from './render';

let fake: FakeTransport;
let view: Rendered | null = null;

beforeEach(() => {
  fake = new FakeTransport();
  setTransport(fake);
  usePatients.getState().reset();
  useSession.setState({
    phase: 'signed-out',
    session: null,
    clinic: {
      id: 'c',
      name: 'Riverside Dental',
      timeZone: 'Europe/London',
      country: 'GB',
      locale: 'en-GB',
      ageOfConsent: 16,
    },
  });
});

afterEach(() => {
  view?.unmount();
  view = null;
  setTransport(null);
});

describe('login screen', () => {
  it('says in words why sign-in failed and keeps the username', async () => {
    fake.handle('session.login', () => {
      throw { code: 'WRONG_CREDENTIALS', message: 'The username or password is not right.' };
    });
    view = await render(<LoginScreen />);
    const { container } = view;
    expect(container.querySelector('h1')?.textContent).toBe('Sign in to Riverside Dental');
    await typeInto(byLabel(container, 'Username'), 'Admin ');
    await typeInto(byLabel(container, 'Password'), 'wrong');
    await click(buttonNamed(container, 'Sign in'));
    await settle();
    // The username is normalised by the shared schema before it is sent.
    expect(fake.callsOf('session.login')).toEqual([{ username: 'admin', password: 'wrong' }]);
    expect(container.querySelector('[role="alert"]')?.textContent).toMatch(
      /username or password is not right\. Check Caps Lock/,
    );
    expect(byLabel(container, 'Username').value).toBe('Admin ');
    expect(byLabel(container, 'Password').value).toBe('');
  });

  it('refuses an empty form without asking the core', async () => {
    view = await render(<LoginScreen />);
    await click(buttonNamed(view.container, 'Sign in'));
    await settle();
    expect(fake.calls).toEqual([]);
    expect(view.container.textContent).toContain('Usernames have at least 3 characters');
  });

  it('signs in and moves the session on', async () => {
    const session = {
      userId: 'u',
      username: 'admin',
      displayName: 'Ada Admin',
      role: 'practice_manager',
      startedAt: '2026-01-01T00:00:00Z',
    };
    fake
      .handle('session.login', () => session)
      .handle('app.status', () => ({
        setUp: true,
        session,
        clinic: useSession.getState().clinic,
      }));
    view = await render(<LoginScreen />);
    await typeInto(byLabel(view.container, 'Username'), 'admin');
    await typeInto(byLabel(view.container, 'Password'), 'correct horse battery staple');
    await click(buttonNamed(view.container, 'Sign in'));
    await settle();
    expect(useSession.getState().phase).toBe('signed-in');
    expect(useSession.getState().session?.displayName).toBe('Ada Admin');
  });
});

describe('history panel', () => {
  it('lists changes newest first with readable fields, authors and values', async () => {
    const history: FieldChange[] = [
      {
        at: '2026-03-01T10:30:00.000Z',
        hlc: '2',
        authorName: 'Ada Admin',
        field: 'patient_phone.e164',
        rowId: 'ph1',
        value: '+442079460958',
        operation: 'update',
      },
      {
        at: '2026-02-01T09:00:00.000Z',
        hlc: '1',
        authorName: 'Ben Reception',
        field: 'patient.given_names',
        rowId: 'p1',
        value: 'Zoë',
        operation: 'insert',
      },
      {
        at: '2026-02-01T09:00:00.000Z',
        hlc: '1',
        authorName: 'Ben Reception',
        field: 'patient.notes',
        rowId: 'p1',
        value: null,
        operation: 'insert',
      },
    ];
    fake.handle('patients.history', () => history);
    view = await render(<HistoryPanel patientId="p1" />);
    await settle();
    expect(fake.callsOf('patients.history')).toEqual([{ id: 'p1' }]);
    const rows = [...view.container.querySelectorAll('tbody tr')].map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent),
    );
    // The empty field set at creation is left out: it says nothing.
    expect(rows).toHaveLength(2);
    expect(rows[0]!.slice(1)).toEqual(['Ada Admin', 'Phone number', 'Changed', '020 7946 0958']);
    expect(rows[0]![0]).toMatch(/1 Mar 2026/);
    expect(rows[1]!.slice(1)).toEqual(['Ben Reception', 'Given names', 'Added', 'Zoë']);
  });
});
