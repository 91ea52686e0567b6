import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DiscoveryDefaults } from '../../../shared/types';

/** Where people keep checkouts, most specific first; only folders that exist are offered. */
const POSIX_GIT_DIRS = ['~/apps', '~/src', '~/projects', '~/code', '~/git', '/opt', '/srv', '~'];
const WINDOWS_GIT_DIRS = ['~/source/repos', '~/src', '~/projects', '~/code', '~'];

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    // Missing or unreadable: not offered as a default.
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    // Missing or unreadable: not offered as a default.
    return false;
  }
}

/** Programs named `names` on PATH, as absolute paths, first match per name, in PATH order. */
function onPath(names: string[], env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  const dirs = (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : ':').filter(Boolean);
  const found: string[] = [];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (isFile(candidate)) {
        found.push(candidate);
        break;
      }
    }
  }
  return found;
}

/**
 * What the first-run discovery form can start from, without running anything: Python interpreters
 * on PATH, folders that usually hold checkouts and exist here, and whether npm is on PATH.
 */
export function discoveryDefaults(
  options: { env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; home?: string } = {},
): DiscoveryDefaults {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = options.home ?? os.homedir();
  const expand = (p: string) => (p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p);
  const windows = platform === 'win32';
  const python = onPath(windows ? ['python.exe', 'python3.exe'] : ['python3', 'python'], env, platform);
  const npm = onPath(windows ? ['npm.cmd'] : ['npm'], env, platform).length > 0;
  const git_dirs = (windows ? WINDOWS_GIT_DIRS : POSIX_GIT_DIRS).map(expand).filter(isDir);
  return { npm, python, git_dirs: [...new Set(git_dirs)] };
}
