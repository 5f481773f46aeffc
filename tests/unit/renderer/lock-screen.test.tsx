// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTransport } from '../../../renderer/api/client';
import { LockScreen } from '../../../renderer/features/lock/LockScreen';
import { PatientDetail } from '../../../renderer/features/patients/PatientDetail';
import { usePatients } from '../../../renderer/features/patients/store';
import { useSession } from '../../../renderer/stores/session';
import type { Session } from '../../../shared/domain/clinic';
import type { PatientRecord } from '../../../shared/ipc/patients';
import type { Role } from '../../../shared/roles';
import { FakeTransport } from './fake-transport';
import { buttonNamed, byLabel, click, render, settle, typeInto, type Rendered } from './render';

const CLINIC = {
  id: 'c',
  name: 'Riverside Dental',
  timeZone: 'Europe/London',
  country: 'GB',
  locale: 'en-GB',
  ageOfConsent: 16,
};
const ADA: Session = {
  userId: 'u-ada',
  username: 'ada',
  displayName: 'Ada Admin',
  role: 'practice_manager',
  startedAt: '2024-01-01T09:00:00.000Z',
};
const PATIENT_ID = '01939c3a-5a4e-7c1b-9d2e-3f4a5b6c7d8e';
const PATIENT: PatientRecord = {
  id: PATIENT_ID,
  chartNumber: '100234',
  title: null,
  givenNames: 'Zoë',
  familyName: 'Müller',
  patronymic: null,
  preferredName: null,
  dateOfBirth: '1985-03-12',
  sex: 'female',
  gender: null,
  phones: [],
  email: null,
  address: { line1: null, line2: null, city: null, region: null, postalCode: null, country: 'GB' },
  preferredLanguage: null,
  preferredChannel: null,
  documents: [],
  insurance: [],
  emergencyContact: null,
  guardian: null,
  alerts: [],
  notes: null,
  status: 'active',
  age: 40,
  needsGuardian: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 'x',
  // What the core answers once the emergency access is granted.
  clinical: { access: 'emergency', until: '2026-01-01T01:00:00.000Z' },
};

let fake: FakeTransport;
let view: Rendered | null = null;

/** What app.status answers: signed in as `session`, or locked by Ada. */
function status(session: Session | null) {
  return {
    setUp: true,
    session,
    clinic: CLINIC,
    idleLockMinutes: 5,
    lockedBy: session ? null : { username: ADA.username, displayName: ADA.displayName },
  };
}

beforeEach(() => {
  fake = new FakeTransport();
  setTransport(fake);
  usePatients.getState().reset();
  useSession.setState({
    phase: 'signed-in',
    clinic: CLINIC,
    session: ADA,
    problem: null,
    lockedBy: null,
    idleLockMinutes: 5,
  });
});

afterEach(() => {
  view?.unmount();
  view = null;
  setTransport(null);
});

describe('locking', () => {
  it('clears patient data at once and shows who locked, before the core answers', async () => {
    usePatients.setState({ query: 'müller', patient: { id: PATIENT_ID } as never });
    fake.holding = true;
    fake.handle('session.lock', () => null).handle('app.status', () => status(null));
    const locking = useSession.getState().lock();
    expect(usePatients.getState().patient).toBeNull();
    expect(usePatients.getState().query).toBe('');
    expect(useSession.getState()).toMatchObject({
      phase: 'signed-out',
      session: null,
      lockedBy: { username: 'ada', displayName: 'Ada Admin' },
    });
    fake.release();
    await settle();
    fake.release();
    await locking;
    expect(fake.callsOf('session.lock')).toEqual([{}]);
    expect(useSession.getState().lockedBy).toEqual({ username: 'ada', displayName: 'Ada Admin' });
  });

  it('goes straight to the lock screen when the core says the session ended by a lock', async () => {
    fake.handle('app.status', () => status(null));
    usePatients.setState({ query: 'zoë' });
    useSession.getState().ended('locked');
    expect(usePatients.getState().query).toBe('');
    expect(useSession.getState().lockedBy?.displayName).toBe('Ada Admin');
    await settle();
    expect(useSession.getState().phase).toBe('signed-out');
  });
});

describe('lock screen', () => {
  beforeEach(() => {
    useSession.setState({
      phase: 'signed-out',
      session: null,
      lockedBy: { username: 'ada', displayName: 'Ada Admin' },
    });
  });

  it('unlocks as the person who locked it, with their username from the core', async () => {
    fake.handle('session.login', () => ADA).handle('app.status', () => status(ADA));
    view = await render(<LockScreen />);
    const { container } = view;
    expect(container.querySelector('h1')?.textContent).toBe('Locked by Ada Admin');
    await typeInto(byLabel(container, 'Password'), 'correct horse');
    await click(buttonNamed(container, 'Unlock'));
    await settle();
    expect(fake.callsOf('session.login')).toEqual([{ username: 'ada', password: 'correct horse' }]);
    expect(useSession.getState().phase).toBe('signed-in');
  });

  it('switches user with the username typed, and says why a sign-in failed', async () => {
    fake.handle('session.login', () => {
      throw { code: 'WRONG_CREDENTIALS', message: 'The username or password is not right.' };
    });
    view = await render(<LockScreen />);
    const { container } = view;
    await click(buttonNamed(container, 'Switch user'));
    expect(container.querySelector('h1')?.textContent).toBe('Switch user');
    await typeInto(byLabel(container, 'Username'), 'Rita');
    await typeInto(byLabel(container, 'Password'), 'wrong');
    await click(buttonNamed(container, 'Sign in'));
    await settle();
    expect(fake.callsOf('session.login')).toEqual([{ username: 'rita', password: 'wrong' }]);
    expect(container.querySelector('[role="alert"]')?.textContent).toMatch(/not right/);
    expect(byLabel(container, 'Password').value).toBe('');
    expect(useSession.getState().phase).toBe('signed-out');
  });
});

describe('emergency access on a refused record', () => {
  const refuse = () => {
    throw { code: 'NOT_ALLOWED', message: 'Your role does not allow this action.' };
  };
  const signedInAs = (role: Role) =>
    useSession.setState({ session: { ...ADA, role }, phase: 'signed-in' });

  it('asks for a reason, records the emergency access and opens the record', async () => {
    signedInAs('receptionist');
    let granted = false;
    fake
      .handle('patients.get', () => (granted ? PATIENT : refuse()))
      .handle('access.breakGlass', () => {
        granted = true;
        return { id: 'g' };
      });
    usePatients.getState().open(PATIENT_ID);
    view = await render(<PatientDetail id={PATIENT_ID} />);
    await settle();
    const { container } = view;
    expect(container.textContent).toMatch(/does not allow/);
    await click(buttonNamed(container, 'Emergency access…'));
    // Too short a reason never reaches the core.
    const reason = container.querySelector<HTMLTextAreaElement>('#emergency-reason')!;
    await typeIntoArea(reason, 'urgent');
    await click(buttonNamed(container, 'Open with emergency access'));
    await settle();
    expect(fake.callsOf('access.breakGlass')).toEqual([]);
    expect(container.textContent).toMatch(/Explain the emergency/);
    await typeIntoArea(reason, 'Collapsed in the waiting room');
    await click(buttonNamed(container, 'Open with emergency access'));
    await settle();
    expect(fake.callsOf('access.breakGlass')).toEqual([
      { patientId: PATIENT_ID, reason: 'Collapsed in the waiting room' },
    ]);
    expect(fake.callsOf('patients.get')).toHaveLength(2);
    expect(usePatients.getState().patient?.id).toBe(PATIENT_ID);
    expect(container.querySelector('#record-title')?.textContent).toBe('Müller, Zoë');
  });

  it('is not offered to a role that cannot ask for it, nor for other refusals', async () => {
    signedInAs('auditor');
    fake.handle('patients.get', refuse);
    usePatients.getState().open(PATIENT_ID);
    view = await render(<PatientDetail id={PATIENT_ID} />);
    await settle();
    expect(view.container.textContent).toMatch(/does not allow/);
    expect(view.container.textContent).not.toMatch(/Emergency access/);
    view.unmount();

    signedInAs('receptionist');
    fake.handle('patients.get', () => {
      throw { code: 'NOT_FOUND', message: 'The patient was not found.' };
    });
    usePatients.getState().open(PATIENT_ID);
    view = await render(<PatientDetail id={PATIENT_ID} />);
    await settle();
    expect(view.container.textContent).toMatch(/not found/);
    expect(view.container.textContent).not.toMatch(/Emergency access/);
  });
});

async function typeIntoArea(area: HTMLTextAreaElement, value: string): Promise<void> {
  const { act } = await import('react');
  await act(async () => {
    const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
    setter.call(area, value);
    area.dispatchEvent(new Event('input', { bubbles: true }));
  });
}
