import { COMMAND_NAMES, commands, type CommandName } from './ipc/contract';
import { ROLES, type Role } from './roles';

/**
 * The permission matrix, derived from the one place roles are declared: each command's `roles` in
 * shared/ipc/*.ts. The core's dispatcher enforces it; the renderer uses `can` only to hide what a
 * role cannot do (enforcement never depends on the UI).
 */
export type Access = 'public' | 'signed-in' | readonly Role[];

export function accessOf(name: CommandName): Access {
  return commands[name].roles;
}

/** Whether a signed-in member of staff with `role` may call `name`. */
export function can(role: Role, name: CommandName): boolean {
  const access = accessOf(name);
  return access === 'public' || access === 'signed-in' || access.includes(role);
}

/** command -> role -> allowed, for docs, the settings screen and the matrix test. */
export const PERMISSION_MATRIX: Readonly<Record<CommandName, Readonly<Record<Role, boolean>>>> =
  Object.fromEntries(
    COMMAND_NAMES.map((name) => [
      name,
      Object.fromEntries(ROLES.map((role) => [role, can(role, name)])),
    ]),
  ) as Record<CommandName, Record<Role, boolean>>;

/**
 * Roles that see the clinical parts of a patient record (medical alert details, clinical notes and
 * their history) and may change them. Everyone else at the front desk sees the alert badges (kind
 * and severity) only; opening the rest needs emergency access ('access.breakGlass'), which lets
 * them read it for a while and never change it. The core enforces this (services/access.ts).
 */
export const CLINICAL_ROLES: readonly Role[] = ['clinician', 'practice_manager'];

/** Whether `role` sees and changes clinical details without emergency access. */
export function seesClinicalDetails(role: Role): boolean {
  return CLINICAL_ROLES.includes(role);
}

/**
 * Fields of the change history that are clinical (`table.column`, as in `FieldChange.field`):
 * withheld, with the record's clinical details, from roles outside CLINICAL_ROLES.
 */
export const CLINICAL_HISTORY_FIELDS: ReadonlySet<string> = new Set([
  'patient.notes',
  'patient_alert.description',
]);
