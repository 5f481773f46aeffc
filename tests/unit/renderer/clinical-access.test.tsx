// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTransport } from '../../../renderer/api/client';
import { PatientDetail } from '../../../renderer/features/patients/PatientDetail';
import { PatientForm } from '../../../renderer/features/patients/PatientForm';
import { usePatients } from '../../../renderer/features/patients/store';
import { useSession } from '../../../renderer/stores/session';
import type { Session } from '../../../shared/domain/clinic';
import type { ClinicalView, PatientRecord } from '../../../shared/ipc/patients';
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
const PATIENT_ID = '01939c3a-5a4e-7c1b-9d2e-3f4a5b6c7d8e';

/** The record as the core answers it for `clinical` (details withheld when restricted). */
function record(clinical: ClinicalView): PatientRecord {
  const withheld = clinical.access === 'restricted';
  return {
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
    address: {
      line1: null,
      line2: null,
      city: null,
      region: null,
      postalCode: null,
      country: null,
    },
    preferredLanguage: null,
    preferredChannel: null,
    documents: [],
    insurance: [],
    emergencyContact: null,
    guardian: null,
    alerts: [
      { id: 'a1', kind: 'allergy', description: withheld ? '' : 'Penicillin', severity: 'high' },
      {
        id: 'a2',
        kind: 'medication',
        description: withheld ? '' : 'Warfarin',
        severity: 'moderate',
      },
    ],
    notes: withheld ? null : 'Faints at injections',
    status: 'active',
    age: 40,
    needsGuardian: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 'v1',
    clinical,
  };
}
const RESTRICTED: ClinicalView = { access: 'restricted', until: null };
const REASON = 'Collapsed in the waiting room';

let fake: FakeTransport;
let view: Rendered | null = null;

function signInAs(role: Role): void {
  const session: Session = {
    userId: 'u-1',
    username: 'rita',
    displayName: 'Rita Reception',
    role,
    startedAt: '2026-01-01T09:00:00.000Z',
  };
  useSession.setState({ phase: 'signed-in', clinic: CLINIC, session });
}

async function typeIntoArea(area: HTMLTextAreaElement, value: string): Promise<void> {
  await act(async () => {
    const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
    setter.call(area, value);
    area.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function openDetail(): Promise<HTMLElement> {
  usePatients.getState().open(PATIENT_ID);
  view = await render(<PatientDetail id={PATIENT_ID} />);
  await settle();
  return view.container;
}

beforeEach(() => {
  fake = new FakeTransport();
  setTransport(fake);
  usePatients.getState().reset();
});

afterEach(() => {
  view?.unmount();
  view = null;
  setTransport(null);
});

describe('a patient record with its clinical details withheld', () => {
  it('shows the badges, and opens the details with a reason through emergency access', async () => {
    signInAs('receptionist');
    const until = new Date(Date.now() + 60 * 60_000).toISOString();
    let granted = false;
    fake
      .handle('patients.get', () =>
        granted ? record({ access: 'emergency', until }) : record(RESTRICTED),
      )
      .handle('access.breakGlass', () => {
        granted = true;
        return { id: 'g1' };
      });
    const container = await openDetail();

    const alerts = container.querySelector('[aria-label="Medical alerts"]')!;
    expect(alerts.textContent).toMatch(/Allergy.*Details restricted.*High severity/);
    expect(alerts.textContent).toMatch(/Medication.*Details restricted.*Moderate severity/);
    expect(container.textContent).toMatch(/Restricted: clinical notes are shown to clinical staff/);
    expect(container.querySelector('#emergency-offer-title')?.textContent).toBe(
      'Restricted — emergency access',
    );

    await click(buttonNamed(container, 'Emergency access…'));
    const reason = container.querySelector<HTMLTextAreaElement>('#emergency-reason')!;
    await typeIntoArea(reason, 'urgent');
    await click(buttonNamed(container, 'Open with emergency access'));
    await settle();
    expect(fake.callsOf('access.breakGlass')).toEqual([]);
    expect(container.textContent).toMatch(/Explain the emergency/);

    await typeIntoArea(reason, REASON);
    await click(buttonNamed(container, 'Open with emergency access'));
    await settle();
    expect(fake.callsOf('access.breakGlass')).toEqual([{ patientId: PATIENT_ID, reason: REASON }]);
    expect(fake.callsOf('patients.get')).toHaveLength(2);
    expect(alerts.textContent).toMatch(/Penicillin/);
    expect(container.textContent).toMatch(/Faints at injections/);
    expect(container.textContent).toMatch(/Emergency access until/);
    expect(container.textContent).not.toMatch(/Details restricted/);
    expect(container.querySelector('#emergency-offer-title')).toBeNull();
  });

  it('fetches the record again when the emergency access ends', async () => {
    signInAs('receptionist');
    let ended = false;
    // A grant that ends a moment from now: the record is fetched again just after.
    const until = new Date(Date.now() + 50).toISOString();
    fake.handle('patients.get', () =>
      ended ? record(RESTRICTED) : record({ access: 'emergency', until }),
    );
    const container = await openDetail();
    expect(container.textContent).toMatch(/Penicillin/);
    ended = true;
    const deadline = Date.now() + 10_000;
    while (fake.callsOf('patients.get').length < 2 && Date.now() < deadline)
      await act(() => new Promise((r) => setTimeout(r, 50)));
    await settle();
    expect(fake.callsOf('patients.get')).toHaveLength(2);
    expect(container.textContent).toMatch(/Details restricted/);
    expect(container.textContent).not.toMatch(/Penicillin/);
  });

  it('offers nothing to clinical staff, who see the details', async () => {
    signInAs('clinician');
    fake.handle('patients.get', () => record({ access: 'shown', until: null }));
    const container = await openDetail();
    expect(container.textContent).toMatch(/Penicillin/);
    expect(container.textContent).not.toMatch(/Restricted|Emergency access/);
  });
});

describe('editing a record without clinical details', () => {
  it('leaves alerts and notes out of the form and of the patch', async () => {
    signInAs('receptionist');
    fake
      .handle('patients.get', () => record(RESTRICTED))
      .handle('patients.update', () => ({ ...record(RESTRICTED), preferredName: 'Zo' }))
      .handle('patients.findDuplicates', () => []);
    await usePatients.getState().loadPatient(PATIENT_ID);
    usePatients.getState().startEdit(PATIENT_ID);
    view = await render(<PatientForm mode="edit" id={PATIENT_ID} />);
    await settle();
    const { container } = view;
    expect(container.textContent).toMatch(/Medical alerts are recorded by clinical staff/);
    expect(() => buttonNamed(container, 'Add alert')).toThrow();
    expect(() => byLabel(container, 'Notes')).toThrow();

    await typeInto(byLabel(container, 'Preferred name'), 'Zo');
    await click(buttonNamed(container, 'Save changes'));
    await settle();
    expect(fake.callsOf('patients.update')).toEqual([
      { id: PATIENT_ID, patch: { preferredName: 'Zo' } },
    ]);
  });

  it('keeps them for clinical staff', async () => {
    signInAs('clinician');
    fake.handle('patients.get', () => record({ access: 'shown', until: null }));
    await usePatients.getState().loadPatient(PATIENT_ID);
    usePatients.getState().startEdit(PATIENT_ID);
    view = await render(<PatientForm mode="edit" id={PATIENT_ID} />);
    await settle();
    expect(buttonNamed(view.container, 'Add alert')).toBeTruthy();
    expect(byLabel(view.container, 'Notes').value).toBe('Faints at injections');
  });
});
