import type { Core } from '../../electron/core/core';
import { ADMIN, patientInput } from '../support/core';

/**
 * Sets up the clinic straight through the core (the UI setup has its own spec) and signs in.
 * Returns the recovery key.
 */
export async function setUpClinic(core: Core): Promise<string> {
  const { recoveryKey } = await core.call('setup.createClinic', {
    clinic: {
      name: 'Riverside Dental',
      timeZone: 'Europe/London',
      country: 'GB',
      locale: 'en-GB',
      ageOfConsent: 16,
    },
    admin: ADMIN,
  });
  return recoveryKey;
}

/** `count` patients named Test000, Test001, ... with distinct phones, in name order. */
export async function seedNumbered(core: Core, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const n = String(i).padStart(3, '0');
    await core.call('patients.create', {
      patient: patientInput({
        givenNames: 'Alex',
        familyName: `Test${n}`,
        dateOfBirth: '1990-01-01',
        email: null,
        phones: [{ number: `07911 123${n}`, type: 'mobile', preferred: true }],
        alerts: [],
      }),
    });
  }
}
