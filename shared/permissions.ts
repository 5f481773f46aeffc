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
