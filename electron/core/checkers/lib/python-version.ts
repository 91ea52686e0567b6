import { statSync } from 'node:fs';
import path from 'node:path';
import type { ComponentConfig } from '../../../../shared/schemas/component';
import { componentPython } from '../../updaters/lib/python';
import { runArgv } from '../../versions/run-argv';
import { errorMessage } from '../../lib/error-info';

/** The Python version of an interpreter, or why it is unknown. */
export type InterpreterVersion =
  { python: string; version: string } | { python: string; version: null; reason: string };

const PROBE = 'import sys; print("%d.%d.%d" % sys.version_info[:3])';
const known = new Map<string, string>();

/**
 * The component's interpreter: its `python` key, then the `python` its `version_from: { pip }`
 * asks, then what the pip method falls back to (a venv in the folder, then python3).
 */
export function interpreterOf(config: ComponentConfig): string {
  if (config.python) return config.python;
  const from = config.version_from;
  if (typeof from === 'object' && 'pip' in from && from.python) return from.python;
  return componentPython(config);
}

/** What identifies one interpreter binary: its path and, for a file path, its size and mtime. */
function cacheKey(python: string, env: NodeJS.ProcessEnv): string {
  if (!python.includes(path.sep)) return `${python}\0${env.PATH ?? ''}`;
  try {
    const st = statSync(python);
    return `${python}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    // Not statable (a name resolved on PATH): keyed by name; the version is read again when it changes.
    return python;
  }
}

/**
 * Run the interpreter once to learn its version (`3.11.4`); remembered per binary for the life of
 * the process. When it cannot be run the version is unknown, with the reason — never a guess.
 */
export async function interpreterVersion(
  python: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<InterpreterVersion> {
  const key = cacheKey(python, env);
  const cached = known.get(key);
  if (cached) return { python, version: cached };
  try {
    const r = await runArgv([python, '-c', PROBE], { env, timeoutMs: 30_000, ...(signal ? { signal } : {}) });
    const version = r.stdout.trim();
    if (r.exitCode !== 0 || !/^\d+\.\d+\.\d+$/.test(version)) {
      const detail = r.stderr.trim().split('\n').pop() || `exit ${r.exitCode ?? r.signal}`;
      return { python, version: null, reason: `${python} did not report its version (${detail})` };
    }
    known.set(key, version);
    return { python, version };
  } catch (error) {
    return { python, version: null, reason: errorMessage(error).replace(/\.$/, '') };
  }
}
