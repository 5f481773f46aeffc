import type { CommandArgs, CommandInput, CommandOutput } from './command';
import { patientCommands } from './patients';
import { sessionCommands } from './session';

/** Every command the renderer can send, by name. One place to see the whole api. */
export const commands = {
  ...sessionCommands,
  ...patientCommands,
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
}
export type EventName = keyof AppEvents;

/** What the preload exposes as `window.enamel`. */
export interface EnamelBridge {
  invoke(name: string, args: unknown): Promise<unknown>;
  on(event: EventName, listener: (payload: unknown) => void): () => void;
}
