import { z } from 'zod';
import { password, username } from '../domain/clinic';
import { id, requiredText } from '../domain/common';
import { ROLES, type Role } from '../roles';
import { command } from './command';

/**
 * Staff accounts and workstation security settings. Only the practice manager manages staff;
 * whoever acts is always the signed-in member of staff, never an argument.
 */
export const STAFF_STATUSES = ['active', 'disabled', 'removed'] as const;
export type StaffStatus = (typeof STAFF_STATUSES)[number];

export interface StaffMember {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** The clinician (provider) this account books and charges as, if any. */
  providerId: string | null;
  /** Disabled and removed accounts stay listed for the audit history; neither can sign in. */
  status: StaffStatus;
  /** The account has a key on this workstation (false after a keystore loss, until reset). */
  canSignIn: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface SecuritySettings {
  /** Minutes without input before the workstation locks (per workstation). */
  idleLockMinutes: number;
  deviceBinding: {
    /** The keyring's staff keys are also locked to this computer's keystore. */
    active: boolean;
    /** Why it is or is not used, for the settings screen. */
    reason: string;
  };
}

export const IDLE_LOCK_MINUTES = { min: 1, max: 120, default: 5 } as const;

const MANAGER = ['practice_manager'] as const;

const role = z.enum(ROLES, { message: 'Choose a role' });
const providerId = id.nullable();

export const staffInput = z.strictObject({
  displayName: requiredText(120, 'Full name'),
  username,
  role,
  providerId: providerId.default(null),
  /** The first password; the member of staff changes it after signing in. */
  password,
});
export type StaffInput = z.input<typeof staffInput>;

export const staffPatch = z
  .strictObject({
    displayName: requiredText(120, 'Full name'),
    username,
    role,
    providerId,
  })
  .partial();
export type StaffPatch = z.input<typeof staffPatch>;

export const staffCommands = {
  'staff.list': command<StaffMember[]>()({
    input: z.strictObject({}),
    roles: MANAGER,
    summary: 'Every staff account, including disabled and removed ones',
    touchesPatientData: false,
  }),
  'staff.add': command<StaffMember>()({
    input: staffInput,
    roles: MANAGER,
    summary: 'Add a member of staff with a role, a first password and their own key',
    touchesPatientData: false,
  }),
  'staff.update': command<StaffMember>()({
    input: z.strictObject({ id, patch: staffPatch }),
    roles: MANAGER,
    summary: "Change a member of staff's name, username, role or provider link",
    touchesPatientData: false,
  }),
  'staff.disable': command<StaffMember>()({
    input: z.strictObject({ id }),
    roles: MANAGER,
    summary: 'Stop an account signing in: its key is deleted and the store key rotated',
    touchesPatientData: false,
  }),
  'staff.enable': command<StaffMember>()({
    input: z.strictObject({ id, password }),
    roles: MANAGER,
    summary: 'Let a disabled account sign in again, with a new first password',
    touchesPatientData: false,
  }),
  'staff.remove': command<StaffMember>()({
    input: z.strictObject({ id }),
    roles: MANAGER,
    summary: 'Remove a member of staff: key deleted, store key rotated, history kept',
    touchesPatientData: false,
  }),
  'staff.replaceRecoveryKey': command<{ recoveryKey: string }>()({
    input: z.strictObject({ password }),
    roles: MANAGER,
    summary: 'Issue a new recovery key (shown once); the old one stops working',
    touchesPatientData: false,
  }),
  'settings.security': command<SecuritySettings>()({
    input: z.strictObject({}),
    roles: MANAGER,
    summary: 'Idle lock and device binding of this workstation',
    touchesPatientData: false,
  }),
  'settings.setIdleLock': command<SecuritySettings>()({
    input: z.strictObject({
      minutes: z
        .number()
        .int('Whole minutes')
        .min(IDLE_LOCK_MINUTES.min, `At least ${IDLE_LOCK_MINUTES.min} minute`)
        .max(IDLE_LOCK_MINUTES.max, `At most ${IDLE_LOCK_MINUTES.max} minutes`),
    }),
    roles: MANAGER,
    summary: 'Lock this workstation after so many minutes without input',
    touchesPatientData: false,
  }),
} as const;
