import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApi } from '../../../electron/core/api';
import { validateComponent } from '../../../electron/core/config/validate';
import { createServices, type Services } from '../../../electron/core/services';
import type { ApiImplementation, CallContext } from '../../../shared/contract';

export const CLI: CallContext = { initiatedBy: 'cli', readOnly: false };

export interface EnvHome {
  root: string;
  services: Services;
  api: ApiImplementation;
  add(id: string, config: Record<string, unknown>): void;
  cleanup(): void;
}

/** A fresh Upkeep home with the real services and API, in a temp folder. */
export function envHome(prefix: string): EnvHome {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  const home = path.join(root, 'home');
  mkdirSync(home, { recursive: true });
  const services = createServices({ home, host: 'cli' });
  services.settings.set({ min_free_space_mb: 1 });
  return {
    root,
    services,
    api: createApi(services),
    add(id, config) {
      services.components.add({ [id]: validateComponent(id, config) });
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** `pip freeze --all` of an interpreter, sorted. */
export function freezeOf(python: string): string {
  return execFileSync(python, ['-m', 'pip', 'freeze', '--all'], {
    encoding: 'utf8',
    env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' },
  })
    .split('\n')
    .filter(Boolean)
    .sort()
    .join('\n');
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
