import path from 'node:path';
import { AppError } from '../../shared/errors';
import type { Session } from '../../shared/domain/clinic';
import { Core } from '../core/core';
import { KeyringFiles } from '../core/keyring-protector';
import { defaultDataDir, storePaths } from '../core/paths';
import { kdfFromEnvironment } from './kdf';
import { readPassword } from './password';
import { UsageError } from './usage';

/** What a command gets: where the data is, and where to write. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface Command {
  name: string;
  summary: string;
  help: string;
  run(args: string[], ctx: CliContext): Promise<number>;
}

export function resolveDataDir(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return path.resolve(option ?? defaultDataDir(env));
}

export function openCore(dataDir: string, env: NodeJS.ProcessEnv): Core {
  const kdf = kdfFromEnvironment(env);
  return new Core({ dataDir, ...(kdf ? { kdf } : {}) });
}

export const notSetUp = () =>
  new AppError('NOT_SET_UP', 'This data folder is not set up yet. Run "enamel init" first.');

/**
 * The staff account to act as: `--user`, or the only account there is. The usernames come from
 * keyring.json, which holds them in clear.
 */
export async function chooseUser(dataDir: string, user: string | undefined): Promise<string> {
  if (user) return user.trim().toLowerCase();
  const loaded = await new KeyringFiles(storePaths(dataDir).keyring).read();
  if (!loaded) throw notSetUp();
  const names = loaded.keyring.staff.map((e) => e.username);
  if (names.length === 1) return names[0]!;
  throw new UsageError('This clinic has several staff accounts: choose one with --user');
}

/** Signs in as `user` with the password from the environment or standard input. */
export async function signIn(
  core: Core,
  dataDir: string,
  user: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Session> {
  const loaded = await new KeyringFiles(storePaths(dataDir).keyring).read();
  if (!loaded) throw notSetUp();
  const username = await chooseUser(dataDir, user);
  const password = await readPassword(`Password for ${username}`, { env });
  return core.login(username, password);
}
