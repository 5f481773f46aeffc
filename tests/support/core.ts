import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Core } from '../../electron/core/core';
import type { PatientInput } from '../../shared/domain/patient';

/** Fast Argon2id parameters for tests only; production uses 3 passes over 64 MiB. */
export const TEST_KDF = { opslimit: 1, memlimit: 8 * 1024 * 1024 };
export const ADMIN = {
  username: 'admin',
  password: 'correct horse battery staple',
  displayName: 'Ada Admin',
};

export function tempDir(prefix = 'enamel-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function setUpCore(
  options: { dir?: string; now?: () => number } = {},
): Promise<{ core: Core; dir: string; recoveryKey: string }> {
  const dir = options.dir ?? tempDir();
  const core = new Core({
    dataDir: dir,
    kdf: TEST_KDF,
    ...(options.now ? { now: options.now } : {}),
  });
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
  return { core, dir, recoveryKey };
}

export function patientInput(overrides: Partial<PatientInput> = {}): PatientInput {
  return {
    title: null,
    givenNames: 'Zoë',
    familyName: 'Müller',
    patronymic: null,
    preferredName: null,
    dateOfBirth: '1985-03-12',
    sex: 'female',
    gender: null,
    phones: [{ number: '07911 123456', type: 'mobile', preferred: true }],
    email: 'zoe@example.org',
    address: {
      line1: '1 High Street',
      line2: null,
      city: 'London',
      region: null,
      postalCode: 'N1 1AA',
      country: 'GB',
    },
    preferredLanguage: 'de',
    preferredChannel: 'sms',
    documents: [],
    insurance: [],
    emergencyContact: null,
    guardian: null,
    alerts: [{ kind: 'allergy', description: 'Penicillin', severity: 'high' }],
    notes: null,
    status: 'active',
    chartNumber: null,
    ...overrides,
  };
}
