import os from 'node:os';
import path from 'node:path';

/** Default per-user data folder; `ENAMEL_DATA_DIR` overrides it. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ENAMEL_DATA_DIR) return path.resolve(env.ENAMEL_DATA_DIR);
  const home = os.homedir();
  switch (process.platform) {
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Enamel');
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Enamel');
    default:
      return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'enamel');
  }
}

export interface StorePaths {
  dir: string;
  database: string;
  keyring: string;
}

export function storePaths(dir: string): StorePaths {
  return { dir, database: path.join(dir, 'enamel.db'), keyring: path.join(dir, 'keyring.json') };
}
