import { statSync } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { isPackageOf } from '../../../shared/descriptors/registry';
import type { ComponentConfig } from '../../../shared/schemas/component';
import type { Component } from '../../../shared/types';
import type { Candidate } from './lib/candidate';
import { resolveUserPath } from './lib/home-path';
import { slugId } from './lib/ids';
import { runTool, stderrTail } from './lib/run-tool';

/** Packaging tools every environment has; tracking them is noise. */
const SKIPPED = new Set(['pip', 'setuptools', 'wheel']);
const PIP_ENV = { PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1' };

export interface PythonPackagesOptions {
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** PEP 503 normalised project name: `Foo.Bar_baz` → `foo-bar-baz`. */
export function normalizePackageName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * The interpreter to ask: a python executable (path or command on PATH) or a virtualenv folder
 * (its bin/python, or Scripts\python.exe on Windows). Paths that do not exist fail with NOT_FOUND.
 */
export function resolvePython(python: string, platform: NodeJS.Platform = process.platform): string {
  const given = python.trim();
  if (!given)
    throw new UpkeepError(
      'INVALID_REQUEST',
      'Give a Python interpreter (e.g. /opt/app/venv/bin/python) or a virtualenv folder.',
    );
  const pathLike = given.includes('/') || given.includes('\\') || given.startsWith('.') || given.startsWith('~');
  if (!pathLike) return given;
  const full = resolveUserPath(given);
  let stat;
  try {
    stat = statSync(full);
  } catch {
    throw new UpkeepError(
      'NOT_FOUND',
      `No Python at ${full}. Give the path of a Python interpreter (e.g. /opt/app/venv/bin/python) or of a virtualenv folder.`,
      { python: full },
    );
  }
  if (!stat.isDirectory()) return full;
  const candidates = platform === 'win32' ? ['Scripts/python.exe'] : ['bin/python', 'bin/python3'];
  for (const rel of candidates) {
    const bin = path.join(full, rel);
    try {
      if (statSync(bin).isFile()) return bin;
    } catch {
      // try the next
    }
  }
  throw new UpkeepError(
    'NOT_FOUND',
    `${full} is a folder but not a virtualenv (no ${candidates.join(' or ')} in it). Give the venv folder or the interpreter itself.`,
    { python: full },
  );
}

/**
 * Python packages of one interpreter or venv (`python -m pip list --format=json`) as pypi_release
 * components updated with pip in that same interpreter. Editable installs (working copies) and the
 * packaging tools are left out.
 */
export async function discoverPythonPackages(
  python: string,
  options: PythonPackagesOptions = {},
): Promise<Candidate[]> {
  let interpreter = resolvePython(python);
  const env = { ...PIP_ENV, ...options.env };
  const timing = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};
  if (!path.isAbsolute(interpreter)) interpreter = await absoluteInterpreter(interpreter, env, timing);
  const argv = [interpreter, '-m', 'pip', 'list', '--format=json', '--disable-pip-version-check', '--no-input'];
  const result = await runTool(argv, { env, ...timing });
  if (result.code !== 0) {
    const tail = stderrTail(result.stderr);
    if (/No module named pip/i.test(result.stderr)) {
      throw new UpkeepError(
        'COMMAND_FAILED',
        `${interpreter} has no pip. Install it with \`${interpreter} -m ensurepip --upgrade\` and try again.`,
        { python: interpreter },
      );
    }
    throw new UpkeepError(
      'COMMAND_FAILED',
      `\`${argv.slice(0, 5).join(' ')}\` failed${tail ? `: ${tail}` : ` with exit code ${result.code}`}. Check that ${interpreter} is a working Python with pip.`,
      {
        python: interpreter,
        exit_code: result.code,
      },
    );
  }
  let rows: unknown;
  try {
    rows = JSON.parse(result.stdout.trim());
  } catch {
    throw new UpkeepError(
      'PARSE_ERROR',
      `\`pip list --format=json\` of ${interpreter} did not print JSON. Upgrade pip in that environment (\`${interpreter} -m pip install -U pip\`) and try again.`,
      { python: interpreter },
    );
  }
  if (!Array.isArray(rows))
    throw new UpkeepError(
      'PARSE_ERROR',
      `\`pip list --format=json\` of ${interpreter} printed JSON that is not a list.`,
      { python: interpreter },
    );
  return rows.flatMap((row) => candidate(row, interpreter));
}

async function absoluteInterpreter(
  command: string,
  env: Record<string, string | undefined>,
  timing: { timeoutMs?: number },
): Promise<string> {
  const result = await runTool([command, '-c', 'import sys; print(sys.executable)'], { env, ...timing });
  const exe = result.stdout.trim().split(/\r?\n/).pop() ?? '';
  if (result.code !== 0 || !path.isAbsolute(exe)) {
    throw new UpkeepError(
      'COMMAND_FAILED',
      `${command} did not run as Python${stderrTail(result.stderr) ? `: ${stderrTail(result.stderr)}` : ''}. Give the full path of a Python interpreter.`,
      { python: command },
    );
  }
  return exe;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function candidate(row: unknown, python: string): Candidate[] {
  if (!isRecord(row)) return [];
  const { name, version, editable_project_location: editable } = row;
  if (typeof name !== 'string' || typeof version !== 'string' || !name || !version) return [];
  if (SKIPPED.has(normalizePackageName(name)) || editable) return [];
  const config: ComponentConfig = {
    name,
    type: 'pypi_release',
    package: name,
    method: 'pip',
    pip: `${name}=={target_version}`,
    python,
    version_from: { pip: name, python },
  };
  const wanted = normalizePackageName(name);
  return [
    {
      source: 'python',
      baseId: slugId(name, 'python-package'),
      config,
      installed: version,
      note: `pip package in ${python} (installed ${version})`,
      tracks: (c: Component) => {
        if (typeof c.config.package !== 'string' || normalizePackageName(c.config.package) !== wanted) return false;
        if (!isPackageOf(c.config, 'pypi')) return false;
        const theirs =
          c.config.python ??
          (typeof c.config.version_from === 'object' && 'pip' in c.config.version_from
            ? c.config.version_from.python
            : undefined);
        // A component without a python tracks "this package" wherever it is: count it as tracked.
        return theirs === undefined || path.resolve(theirs) === path.resolve(python);
      },
    },
  ];
}
