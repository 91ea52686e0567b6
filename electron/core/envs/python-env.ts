import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import type { ComponentConfig } from '../../../shared/schemas/component';
import { normalizePackageName } from './requirements';
import { runOk, type EnvRun } from './run';

const VENV_DIRS = ['.venv', 'venv', 'env', '.'];
const binOf = (root: string) =>
  process.platform === 'win32' ? path.join(root, 'Scripts', 'python.exe') : path.join(root, 'bin', 'python');

/** pip without prompts, colours or its own version nag. */
export const PIP_ENV: Record<string, string> = {
  PIP_DISABLE_PIP_VERSION_CHECK: '1',
  PIP_NO_INPUT: '1',
  PYTHONUNBUFFERED: '1',
  PIP_NO_COLOR: '1',
};

/**
 * The interpreter of a pip_env component: `python` (an interpreter, a command like python3, or a
 * venv folder), else a venv in or at `folder`.
 */
export function envPython(config: ComponentConfig): string {
  if (config.python) {
    const p = config.python;
    if (path.isAbsolute(p) && existsSync(p) && statSync(p).isDirectory()) {
      const bin = binOf(p);
      if (!existsSync(bin))
        throw new UpkeepError(
          'INVALID_CONFIG',
          `${p} is a folder without ${path.relative(p, bin)}; set \`python\` to the interpreter or the venv folder.`,
        );
      return bin;
    }
    return p;
  }
  if (config.folder) {
    for (const sub of VENV_DIRS) {
      const bin = binOf(path.join(config.folder, sub));
      if (existsSync(bin)) return bin;
    }
    throw new UpkeepError(
      'INVALID_CONFIG',
      `No virtualenv found in ${config.folder} (looked for .venv, venv, env and the folder itself). Set \`python\` to the interpreter.`,
    );
  }
  throw new UpkeepError('INVALID_CONFIG', 'Set `python` (the interpreter or venv) for a pip_env component.');
}

/** The folder that holds the environment's files (requirements are relative to it). */
export function envFolder(config: ComponentConfig, python: string): string {
  if (config.folder) return config.folder;
  if (path.isAbsolute(python)) return path.dirname(path.dirname(python));
  return process.cwd();
}

export interface InstalledDist {
  name: string;
  version: string;
}

export async function pythonVersion(run: EnvRun, python: string): Promise<string> {
  const out = await runOk(
    run,
    [python, '-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'],
    undefined,
    `Check that ${python} is a working Python interpreter.`,
  );
  return out.trim();
}

/**
 * Installed distributions (`pip list --format=json`): editable installs excluded (they are not from an
 * index), and in a venv made with --system-site-packages only the venv's own (`--local`).
 */
export async function listInstalled(run: EnvRun, python: string): Promise<InstalledDist[]> {
  const out = await runOk(
    run,
    [python, '-m', 'pip', 'list', '--format=json', '--exclude-editable', '--local'],
    { env: PIP_ENV },
    `Check that ${python} has pip (python -m ensurepip).`,
  );
  let rows: unknown;
  try {
    rows = JSON.parse(out);
  } catch {
    throw new UpkeepError(
      'PARSE_ERROR',
      `\`${python} -m pip list --format=json\` did not print JSON. Upgrade pip in that environment.`,
    );
  }
  if (!Array.isArray(rows))
    throw new UpkeepError('PARSE_ERROR', `\`pip list --format=json\` of ${python} did not print a list.`);
  return rows
    .filter(
      (r): r is { name: string; version: string } => typeof r?.name === 'string' && typeof r?.version === 'string',
    )
    .map((r) => ({ name: r.name, version: r.version }));
}

/** `pip freeze --all`: the environment's exact state, pip itself included. */
export async function pipFreeze(run: EnvRun, python: string): Promise<string> {
  return runOk(run, [python, '-m', 'pip', 'freeze', '--all', '--local'], { env: PIP_ENV });
}

/** name==version lines of a freeze, by normalized name (direct URLs and editables are kept as they are). */
export function parseFreeze(text: string): Map<string, { name: string; version: string | null; line: string }> {
  const out = new Map<string, { name: string; version: string | null; line: string }>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const pinned = /^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$/.exec(line);
    if (pinned) {
      const [, name = '', version = ''] = pinned;
      out.set(normalizePackageName(name), { name, version, line });
      continue;
    }
    const direct = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*@\s*\S+/.exec(line);
    const name = direct?.[1];
    if (name) out.set(normalizePackageName(name), { name, version: null, line });
  }
  return out;
}

/** `--index-url` for pip from the component's `index_url` (the JSON API root; pip reads `/simple`). */
export function pipIndexArgs(config: ComponentConfig): string[] {
  if (!config.index_url) return [];
  const root = config.index_url.replace(/\/+$/, '');
  return ['--index-url', root.endsWith('/simple') ? `${root}/` : `${root}/simple/`];
}
