import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ComponentConfig } from '../../../../shared/schemas/component';

const VENV_CANDIDATES = ['venv', '.venv', 'env', '.'];

/** The component's own python: the `python` key, else a venv in (or being) the folder, else python3. */
export function componentPython(config: ComponentConfig): string {
  if (config.python) return config.python;
  if (config.folder) {
    for (const sub of VENV_CANDIDATES) {
      const bin =
        process.platform === 'win32'
          ? path.join(config.folder, sub, 'Scripts', 'python.exe')
          : path.join(config.folder, sub, 'bin', 'python');
      if (existsSync(bin)) return bin;
    }
  }
  return process.platform === 'win32' ? 'python' : 'python3';
}

/** The virtualenv root holding `python`, when it is one (`<root>/pyvenv.cfg`). */
export function venvRoot(python: string): string | null {
  if (!path.isAbsolute(python)) return null;
  const root = path.dirname(path.dirname(python));
  return existsSync(path.join(root, 'pyvenv.cfg')) ? root : null;
}
