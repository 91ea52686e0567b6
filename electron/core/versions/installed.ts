import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import type { ComponentConfig, VersionFrom } from '../../../shared/schemas/component';
import { parseState } from '../lib/state-file';
import { frontmatterVersion } from './frontmatter';
import { runArgv, type RunArgvOptions } from './run-argv';
import { errnoCode, errorMessage } from '../lib/error-info';

const MAX_VERSION_FILE_BYTES = 4 * 1024 * 1024;
/** What is read of an installed package's package.json: its version (the rest may be anything). */
const packageVersionSchema = z.looseObject({ version: z.string().min(1) });

export interface InstalledVersion {
  version: string | null;
  /** Where it came from, for explanations: `current`, `file config/base.py`, `git describe` … */
  source: string;
}

export interface InstalledVersionOptions {
  signal?: AbortSignal;
  /** Environment for commands (tests pin PATH; defaults to process.env). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

/** A path from the config: absolute as given, else relative to the component's folder. */
export function resolveComponentPath(config: ComponentConfig, file: string): string {
  const expanded = expandHome(file);
  if (path.isAbsolute(expanded)) return expanded;
  if (!config.folder) {
    throw new UpkeepError(
      'INVALID_CONFIG',
      `"${file}" is a relative path but the component has no folder; set folder or give an absolute path.`,
      { file },
    );
  }
  return path.join(expandHome(config.folder), expanded);
}

async function readText(file: string): Promise<string> {
  try {
    const buf = await readFile(file);
    if (buf.length > MAX_VERSION_FILE_BYTES)
      throw new UpkeepError(
        'RESPONSE_TOO_LARGE',
        `${file} is larger than 4 MiB; point version_from at the small file that holds the version.`,
        { file },
      );
    return buf.toString('utf8');
  } catch (error) {
    if (error instanceof UpkeepError) throw error;
    const code = errnoCode(error);
    throw new UpkeepError(
      'CHECK_FAILED',
      `Cannot read the installed version from ${file}: ${code ?? errorMessage(error)}. Check folder and version_from.`,
      { file },
    );
  }
}

/** Follow a dotted path (`version`, `tool.poetry.version`, `packages.0.version`) into JSON. */
export function jsonPath(value: unknown, dotted: string): unknown {
  let cur = value;
  for (const key of dotted.split('.').filter(Boolean)) {
    if (cur === null || typeof cur !== 'object' || !(key in cur)) return undefined;
    cur = Object.getOwnPropertyDescriptor(cur, key)?.value;
  }
  return cur;
}

function firstMatch(text: string, pattern: string, where: string): string {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'm');
  } catch (error) {
    throw new UpkeepError(
      'INVALID_CONFIG',
      `version_from.regex is not a valid regular expression: ${errorMessage(error)}.`,
    );
  }
  const m = re.exec(text);
  if (!m)
    throw new UpkeepError(
      'CHECK_FAILED',
      `The version pattern ${pattern} found nothing in ${where}. Check version_from.regex.`,
      { pattern },
    );
  return (m[1] ?? m[0]).trim();
}

/** Turn `git describe --tags --long` output into a PEP 440 version: `v1.3.0-1-g1014712` → `1.3.0.post1+g1014712`. */
export function describeToVersion(describe: string): string {
  const m = /^v?(.+)-(\d+)-g([0-9a-f]+)(-dirty)?$/.exec(describe.trim());
  if (!m) return describe.trim();
  const [, tag, distance, sha, dirty] = m;
  if (distance === '0') return `${tag}${dirty ? '+dirty' : ''}`;
  return `${tag}.post${distance}+g${sha}${dirty ? '.dirty' : ''}`;
}

async function fromGit(folder: string, options: InstalledVersionOptions): Promise<string> {
  const run = (args: string[]) =>
    runArgv(['git', ...args], {
      cwd: folder,
      env: options.env,
      timeoutMs: options.timeoutMs ?? 30_000,
      signal: options.signal,
    } satisfies RunArgvOptions);
  const described = await run(['describe', '--tags', '--long', '--dirty']);
  if (described.exitCode === 0 && described.stdout.trim()) return describeToVersion(described.stdout.trim());
  const head = await run(['rev-parse', 'HEAD']);
  if (head.exitCode === 0 && head.stdout.trim()) return head.stdout.trim();
  throw new UpkeepError(
    'CHECK_FAILED',
    `${folder} is not a git checkout (git said: ${head.stderr.trim().split('\n')[0] ?? 'nothing'}). Check folder.`,
    { folder },
  );
}

async function fromCommand(
  argv: string[],
  regex: string | undefined,
  cwd: string | undefined,
  options: InstalledVersionOptions,
): Promise<string> {
  const result = await runArgv(argv, {
    cwd,
    env: options.env,
    timeoutMs: options.timeoutMs ?? 60_000,
    signal: options.signal,
  });
  if (result.exitCode !== 0) {
    const detail = result.stderr.trim().split('\n').pop() ?? '';
    throw new UpkeepError(
      'CHECK_FAILED',
      `${argv[0]} exited with ${result.exitCode ?? result.signal} while reading the installed version${detail ? `: ${detail}` : ''}. Check version_from.command.`,
      { exit_code: result.exitCode },
    );
  }
  if (regex) return firstMatch(result.stdout, regex, `the output of ${argv[0]}`);
  const line = result.stdout
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (!line)
    throw new UpkeepError('CHECK_FAILED', `${argv[0]} printed nothing; it should print the installed version.`);
  return line;
}

/** The Python interpreter's view of an installed distribution (importlib.metadata, no shell). */
async function fromPip(pkg: string, python: string, options: InstalledVersionOptions): Promise<string> {
  const script =
    'import sys\nfrom importlib import metadata\ntry:\n    print(metadata.version(sys.argv[1]))\nexcept metadata.PackageNotFoundError:\n    sys.exit(3)\n';
  const result = await runArgv([python, '-c', script, pkg], {
    env: options.env,
    timeoutMs: options.timeoutMs ?? 60_000,
    signal: options.signal,
  });
  if (result.exitCode === 3)
    throw new UpkeepError(
      'CHECK_FAILED',
      `The Python package "${pkg}" is not installed for ${python}. Check version_from.pip and version_from.python.`,
      { package: pkg },
    );
  if (result.exitCode !== 0 || !result.stdout.trim())
    throw new UpkeepError(
      'CHECK_FAILED',
      `${python} could not report the version of "${pkg}": ${result.stderr.trim().split('\n').pop() ?? 'no output'}.`,
      { package: pkg },
    );
  return result.stdout.trim();
}

async function fromNpm(
  pkg: string,
  global: boolean,
  config: ComponentConfig,
  options: InstalledVersionOptions,
): Promise<string> {
  let root: string;
  if (global) {
    const r = await runArgv(['npm', 'root', '-g'], {
      env: options.env,
      timeoutMs: options.timeoutMs ?? 60_000,
      signal: options.signal,
    });
    if (r.exitCode !== 0 || !r.stdout.trim())
      throw new UpkeepError('CHECK_FAILED', 'npm root -g failed; is npm installed?');
    root = r.stdout.trim();
  } else {
    if (!config.folder)
      throw new UpkeepError(
        'INVALID_CONFIG',
        'version_from.npm needs folder (the project whose node_modules holds the package), or global: true.',
      );
    root = path.join(expandHome(config.folder), 'node_modules');
  }
  const manifest = path.join(root, ...pkg.split('/'), 'package.json');
  const text = await readText(manifest);
  const parsed = parseState(text, packageVersionSchema);
  if (!parsed.ok)
    throw new UpkeepError('CHECK_FAILED', `${manifest} has no version: it is ${parsed.reason}.`, { file: manifest });
  return parsed.value.version;
}

/**
 * A file that holds just the version (`VERSION`, `version.txt`): its one non-empty line, trimmed.
 * A file with more in it is not guessed at: `{ file, regex }` says where the version is.
 */
export function plainVersion(text: string, file: string): string {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0)
    throw new UpkeepError(
      'CHECK_FAILED',
      `${file} is empty; it should hold the installed version. Check folder and version_from.file.`,
      { file },
    );
  const [only = ''] = lines;
  if (lines.length > 1 || only.length > 256) {
    throw new UpkeepError(
      'CHECK_FAILED',
      `${file} holds more than a version (${lines.length} lines); give version_from a regex too, e.g. { file: ${JSON.stringify(path.basename(file))}, regex: "version = (\\S+)" }.`,
      { file },
    );
  }
  return only;
}

async function fromSource(
  source: VersionFrom,
  config: ComponentConfig,
  options: InstalledVersionOptions,
): Promise<InstalledVersion> {
  if (source === 'git') {
    if (!config.folder) throw new UpkeepError('INVALID_CONFIG', 'version_from: git needs folder (the git checkout).');
    return { version: await fromGit(expandHome(config.folder), options), source: 'git describe' };
  }
  if ('file' in source && source.json !== undefined) {
    const file = resolveComponentPath(config, source.file);
    let doc: unknown;
    try {
      doc = JSON.parse(await readText(file));
    } catch (error) {
      if (error instanceof UpkeepError) throw error;
      throw new UpkeepError('PARSE_ERROR', `${file} is not valid JSON: ${errorMessage(error)}.`, { file });
    }
    const dotted = source.json;
    const value = jsonPath(doc, dotted);
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new UpkeepError('CHECK_FAILED', `${file} has no string at "${dotted}". Check version_from.json.`, { file });
    }
    return { version: String(value), source: `${source.file} (${dotted})` };
  }
  if ('file' in source && source.regex !== undefined) {
    const file = resolveComponentPath(config, source.file);
    return { version: firstMatch(await readText(file), source.regex, file), source: source.file };
  }
  if ('file' in source) {
    const file = resolveComponentPath(config, source.file);
    return { version: plainVersion(await readText(file), file), source: source.file };
  }
  if ('command' in source) {
    const cwd = config.folder ? expandHome(config.folder) : undefined;
    return {
      version: await fromCommand(source.command, source.regex, cwd, options),
      source: `command ${source.command[0]}`,
    };
  }
  if ('pip' in source) {
    const python = source.python ?? config.python ?? 'python3';
    return { version: await fromPip(source.pip, python, options), source: `pip ${source.pip}` };
  }
  if ('npm' in source) {
    return { version: await fromNpm(source.npm, source.global ?? false, config, options), source: `npm ${source.npm}` };
  }
  const file = resolveComponentPath(config, source.frontmatter);
  const version = frontmatterVersion(await readText(file));
  if (!version)
    throw new UpkeepError(
      'CHECK_FAILED',
      `${file} has no "version:" line in its docstring frontmatter (line 1 must be """).`,
      { file },
    );
  return { version, source: source.frontmatter };
}

/**
 * The installed version of a component (README, "Components"): `version_from` when given (read live), else
 * the static `current`, else unknown (null).
 */
export async function readInstalledVersion(
  config: ComponentConfig,
  options: InstalledVersionOptions = {},
): Promise<InstalledVersion> {
  if (config.version_from !== undefined) return fromSource(config.version_from, config, options);
  if (config.current !== undefined) return { version: config.current, source: 'current' };
  return { version: null, source: 'none' };
}
