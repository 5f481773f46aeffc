import { z } from 'zod';
import { password, setupInput, username } from '../domain/clinic';
import type { AppStatus, Session, SetupResult } from '../domain/clinic';
import type { PasswordStrength } from '../password';
import { command } from './command';

export const sessionCommands = {
  'app.status': command<AppStatus>()({
    input: z.strictObject({}),
    roles: 'public',
    summary: 'Whether the clinic is set up and who is signed in',
    touchesPatientData: false,
  }),
  'setup.createClinic': command<SetupResult>()({
    input: setupInput,
    roles: 'public',
    summary: 'First run: create the clinic, its first administrator and the encrypted store',
    touchesPatientData: false,
  }),
  'setup.checkPassword': command<PasswordStrength>()({
    input: z.strictObject({
      password,
      userInputs: z.array(z.string().max(200)).max(10).default([]),
    }),
    roles: 'public',
    summary: 'Password strength feedback for the setup and password screens',
    touchesPatientData: false,
  }),
  'session.login': command<Session>()({
    input: z.strictObject({ username, password }),
    roles: 'public',
    summary: 'Sign in: unwrap the staff key and open the store',
    touchesPatientData: false,
  }),
  'session.recover': command<Session>()({
    input: z.strictObject({
      recoveryKey: z.string().min(1, 'Enter the recovery key').max(200),
      username,
      newPassword: password,
    }),
    roles: 'public',
    summary: 'Open the store with the recovery key and set a new password for a staff member',
    touchesPatientData: false,
  }),
  'session.logout': command<null>()({
    input: z.strictObject({}),
    roles: 'signed-in',
    summary: 'Sign out: close the store and wipe key material',
    touchesPatientData: false,
  }),
  'session.lock': command<null>()({
    input: z.strictObject({}),
    roles: 'signed-in',
    summary:
      'Lock the workstation: close the store and wipe keys; signing in again unlocks, and another member of staff signing in switches user',
    touchesPatientData: false,
  }),
  'session.changePassword': command<null>()({
    input: z.strictObject({ currentPassword: password, newPassword: password }),
    roles: 'signed-in',
    summary: 'Change your own password (re-wraps only your key; needs the current password)',
    touchesPatientData: false,
  }),
} as const;
