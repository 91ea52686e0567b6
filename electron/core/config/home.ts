import os from 'node:os';
import path from 'node:path';
import { mkdirSync } from 'node:fs';

export interface HomeOptions {
  /** `--home DIR` from the command line: wins over everything. */
  flag?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Electron's app.getPath('userData'), passed in by the desktop host. */
  electronUserData?: string | undefined;
  platform?: NodeJS.Platform;
}

/**
 * The data directory (ARCHITECTURE.md §6): --home, UPKEEP_HOME, Electron userData, then the platform's
 * config folder ($XDG_CONFIG_HOME/upkeep on Linux).
 */
export function resolveHome(options: HomeOptions = {}): string {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  if (options.flag) return path.resolve(options.flag);
  if (env.UPKEEP_HOME) return path.resolve(env.UPKEEP_HOME);
  if (options.electronUserData) return path.resolve(options.electronUserData);
  const home = env.HOME ?? env.USERPROFILE ?? os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'upkeep');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'upkeep');
  const xdg =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(xdg, 'upkeep');
}

/** The folders inside the data directory. */
export function homeLayout(home: string) {
  return {
    home,
    config: path.join(home, 'config.json'),
    secrets: path.join(home, 'secrets.json'),
    httpToken: path.join(home, 'http-token'),
    /** The headless host's read-only token: sees everything, changes nothing. */
    httpTokenReadOnly: path.join(home, 'http-token-readonly'),
    dropIns: path.join(home, 'components.d'),
    backups: path.join(home, 'backups'),
    history: path.join(home, 'history.jsonl'),
    /** Runs a person marked resolved after they left a component needing attention. */
    attention: path.join(home, 'attention.json'),
    journal: path.join(home, 'journal'),
    cache: path.join(home, 'cache'),
    logs: path.join(home, 'logs'),
    locks: path.join(home, 'locks'),
  };
}
export type HomeLayout = ReturnType<typeof homeLayout>;

export function ensureHome(home: string): HomeLayout {
  const layout = homeLayout(home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return layout;
}
