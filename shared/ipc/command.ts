import type { z } from 'zod';
import type { Role } from '../roles';

/**
 * One IPC command: its argument schema, the roles that may call it and (as a phantom type) its
 * result. `public` commands run without a staff session (status, setup, login).
 */
export interface CommandSpec<I extends z.ZodType = z.ZodType, O = unknown> {
  input: I;
  roles: readonly Role[] | 'public' | 'signed-in';
  /** Short description for docs and the permission matrix. */
  summary: string;
  /** Whether the command reads or writes patient data; used by the audit tests. */
  touchesPatientData: boolean;
  /**
   * A read of one patient (`args.id`) that staff outside `roles` may make with an active
   * emergency-access grant for that patient (see 'access.breakGlass').
   */
  breakGlass?: boolean;
  readonly __output?: O;
}

/** Declares a command; call as `command<Result>()({ ... })` so the input type is inferred. */
export function command<O>() {
  return <I extends z.ZodType>(spec: Omit<CommandSpec<I, O>, '__output'>): CommandSpec<I, O> =>
    spec;
}

export type CommandInput<C> = C extends CommandSpec<infer I, unknown> ? z.input<I> : never;
export type CommandArgs<C> = C extends CommandSpec<infer I, unknown> ? z.output<I> : never;
export type CommandOutput<C> = C extends CommandSpec<z.ZodType, infer O> ? O : never;
