import { z } from 'zod';
import { isValidTimeZone } from '../dates';
import { countryCode, requiredText } from './common';
import type { Role } from '../roles';

export const clinicInput = z.strictObject({
  name: requiredText(120, 'Clinic name'),
  timeZone: z
    .string()
    .max(64)
    .refine(isValidTimeZone, 'Choose a valid time zone, e.g. Europe/London'),
  country: countryCode,
  locale: z
    .string()
    .max(35)
    .regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'Use a locale like en-GB'),
  ageOfConsent: z.number().int().min(12, 'At least 12').max(21, 'At most 21').default(16),
});
export type ClinicInput = z.input<typeof clinicInput>;

export const username = z
  .string()
  .trim()
  .toLowerCase()
  .min(3, 'Usernames have at least 3 characters')
  .max(40, 'Usernames have at most 40 characters')
  .regex(/^[a-z0-9._-]+$/, 'Use letters, digits, dots, dashes and underscores');

export const password = z.string().min(1, 'Enter a password').max(1024, 'Password is too long');

export const setupInput = z.strictObject({
  clinic: clinicInput,
  admin: z.strictObject({
    displayName: requiredText(120, 'Full name'),
    username,
    password,
  }),
});
export type SetupInput = z.input<typeof setupInput>;

export interface Clinic {
  id: string;
  name: string;
  timeZone: string;
  country: string;
  locale: string;
  ageOfConsent: number;
}

export interface Session {
  userId: string;
  username: string;
  displayName: string;
  role: Role;
  startedAt: string;
}

export interface AppStatus {
  setUp: boolean;
  session: Session | null;
  clinic: Clinic | null;
  /**
   * Minutes without input before the workstation locks (a per-workstation setting in the data
   * folder's settings.json; practice managers change it with settings.setIdleLock).
   */
  idleLockMinutes: number;
  /** Who locked the workstation, so the lock screen can offer to unlock; null when not locked. */
  lockedBy: { username: string; displayName: string } | null;
}

export interface SetupResult {
  /** Shown once; a second way into the store if every password is lost. */
  recoveryKey: string;
  session: Session;
}
