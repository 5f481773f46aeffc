import { auditCommands } from './audit';
import type { CommandArgs, CommandInput, CommandOutput } from './command';
import { patientCommands } from './patients';
import { schedulingCommands } from './scheduling';
import { sessionCommands } from './session';
import { staffCommands } from './staff';
import { syncCommands, type SyncStatus } from './sync';

/** Every command the renderer can send, by name. One place to see the whole api. */
export const commands = {
  ...sessionCommands,
  ...patientCommands,
  ...staffCommands,
  ...schedulingCommands,
  ...auditCommands,
  ...syncCommands,
} as const;

export type Commands = typeof commands;
export type CommandName = keyof Commands;
export type InputOf<N extends CommandName> = CommandInput<Commands[N]>;
export type ArgsOf<N extends CommandName> = CommandArgs<Commands[N]>;
export type OutputOf<N extends CommandName> = CommandOutput<Commands[N]>;

export const COMMAND_NAMES = Object.keys(commands) as CommandName[];

/** Own-property lookup: never resolves `__proto__`, `constructor` or other inherited names. */
export function findCommand(name: unknown): Commands[CommandName] | undefined {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(commands, name))
    return undefined;
  return commands[name as CommandName];
}

/** Events the core pushes to every open window. */
export interface AppEvents {
  'patients.changed': { ids: string[] };
  'session.ended': { reason: 'logout' | 'locked' };
  /** Staff accounts changed (added, edited, disabled, removed): refresh staff lists. */
  'staff.changed': { ids: string[] };
  /** The appointment book changed (bookings, or the set-up when `setup`): refresh the book. */
  'schedule.changed': { setup: boolean };
  /** What the sync indicator shows changed (connection, changes waiting, progress, problems). */
  'sync.status': SyncStatus;
}
export type EventName = keyof AppEvents;

/** What the preload exposes as `window.enamel`. */
export interface EnamelBridge {
  invoke(name: string, args: unknown): Promise<unknown>;
  on(event: EventName, listener: (payload: unknown) => void): () => void;
}
