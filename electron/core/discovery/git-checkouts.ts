import { promises as fs, realpathSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import type { ComponentConfig } from '../../../shared/schemas/component';
import type { DiscoveryError } from '../../../shared/types';
import type { Candidate } from './lib/candidate';
import { resolveUserPath } from './lib/home-path';
import { slugId } from './lib/ids';
import { runTool, stderrTail } from './lib/run-tool';
import { errorMessage } from '../lib/error-info';

/** Folders that hold dependencies, caches or build output, never a checkout worth tracking. */
const SKIPPED_DIRS = new Set([
  'node_modules',
  '.venv',
  'venv',
  '__pycache__',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  '.cache',
  '.npm',
  '.yarn',
  '.pnpm-store',
  '.cargo',
  '.rustup',
  '.gradle',
  '.m2',
  'site-packages',
  '.Trash',
  'proc',
]);

export interface GitCheckoutsOptions {
  /** How deep below the folder to look (the folder itself is depth 0). Default 4. */
  maxDepth?: number;
  /** Stop after visiting this many folders, so a scan of a huge tree stays bounded. Default 20 000. */
  maxDirs?: number;
  git?: string;
  env?: Record<string, string | undefined>;
}

export interface GitDiscovery {
  candidates: Candidate[];
  /** Checkouts that could not be read, and a truncated scan; the rest are still proposed. */
  errors: DiscoveryError[];
}

/**
 * Git checkouts under a folder: a bounded breadth-first walk that does not descend into a checkout
 * it found, into dependency folders or into virtualenvs, and follows a symlinked folder only the
 * first time its real path is seen (so symlink loops end). Each checkout becomes a git_commit
 * component updated by the git method on its current branch.
 */
export async function discoverGitCheckouts(root: string, options: GitCheckoutsOptions = {}): Promise<GitDiscovery> {
  const start = resolveUserPath(root);
  let stat;
  try {
    stat = await fs.stat(start);
  } catch {
    throw new UpkeepError(
      'NOT_FOUND',
      `The folder ${start} does not exist. Choose the folder that holds your git checkouts (e.g. /opt or ~/apps).`,
      { path: start },
    );
  }
  if (!stat.isDirectory())
    throw new UpkeepError(
      'INVALID_REQUEST',
      `${start} is a file, not a folder. Choose the folder that holds your git checkouts.`,
      { path: start },
    );

  const maxDepth = options.maxDepth ?? 4;
  const maxDirs = options.maxDirs ?? 20_000;
  const checkouts = await findCheckouts(start, maxDepth, maxDirs);
  const errors: DiscoveryError[] = [];
  if (checkouts.truncated) {
    errors.push({
      source: 'git',
      code: 'RESPONSE_TOO_LARGE',
      message: `Stopped after looking through ${maxDirs} folders under ${start}; checkouts further in were not found. Choose a narrower folder.`,
      path: start,
    });
  }
  const candidates: Candidate[] = [];
  for (const folder of checkouts.found) {
    try {
      candidates.push(await describeCheckout(folder, options));
    } catch (error) {
      const shape = error instanceof UpkeepError ? error : new UpkeepError('COMMAND_FAILED', errorMessage(error));
      errors.push({ source: 'git', code: shape.code, message: shape.message, path: folder });
    }
  }
  return { candidates, errors };
}

async function findCheckouts(
  start: string,
  maxDepth: number,
  maxDirs: number,
): Promise<{ found: string[]; truncated: boolean }> {
  const found: string[] = [];
  const seen = new Set<string>();
  let queue: string[] = [start];
  let visited = 0;
  for (let depth = 0; depth <= maxDepth && queue.length; depth++) {
    const next: string[] = [];
    for (const dir of queue) {
      let real: string;
      try {
        real = await fs.realpath(dir);
      } catch {
        // Vanished or unreadable while scanning: skip it, keep scanning the rest.
        continue;
      }
      if (seen.has(real)) continue;
      seen.add(real);
      if (++visited > maxDirs) return { found, truncated: true };
      let entries: Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        continue; // unreadable (permissions): skip it, keep scanning the rest
      }
      if (entries.some((e) => e.name === '.git' && (e.isDirectory() || e.isFile()))) {
        found.push(dir);
        continue; // a checkout's own subfolders are its business (submodules, vendored copies)
      }
      if (entries.some((e) => e.name === 'pyvenv.cfg' && e.isFile())) continue;
      if (depth === maxDepth) continue;
      for (const entry of entries) {
        if (SKIPPED_DIRS.has(entry.name)) continue;
        const child = path.join(dir, entry.name);
        if (entry.isDirectory()) next.push(child);
        else if (entry.isSymbolicLink()) {
          try {
            if ((await fs.stat(child)).isDirectory()) next.push(child);
          } catch {
            // dangling link
          }
        }
      }
    }
    next.sort();
    queue = next;
  }
  return { found, truncated: false };
}

async function describeCheckout(folder: string, options: GitCheckoutsOptions): Promise<Candidate> {
  const git = options.git ?? 'git';
  // GIT_DIR and friends (set when Upkeep is started from a git hook or a shell that exported them)
  // would make every `git -C <folder>` read that one repository instead.
  const env = {
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    GIT_DIR: undefined,
    GIT_WORK_TREE: undefined,
    GIT_INDEX_FILE: undefined,
    GIT_CEILING_DIRECTORIES: undefined,
    ...options.env,
  };
  const branchRun = await runTool([git, '-C', folder, 'symbolic-ref', '--quiet', '--short', 'HEAD'], {
    env,
    timeoutMs: 30_000,
  });
  if (branchRun.code > 1) {
    const tail = stderrTail(branchRun.stderr);
    const hint = /dubious ownership/i.test(branchRun.stderr)
      ? ` It belongs to another user: run \`git config --global --add safe.directory ${folder}\` if you trust it.`
      : '';
    throw new UpkeepError(
      'COMMAND_FAILED',
      `Could not read the git checkout ${folder}${tail ? `: ${tail}` : ''}.${hint}`,
      { path: folder },
    );
  }
  const branch = branchRun.code === 0 ? branchRun.stdout.trim() : null; // exit 1: detached HEAD
  const headRun = await runTool([git, '-C', folder, 'rev-parse', '--short=12', '--verify', '--quiet', 'HEAD'], {
    env,
    timeoutMs: 30_000,
  });
  const head = headRun.code === 0 ? headRun.stdout.trim() || null : null;
  const configRun = await runTool(
    [git, '-C', folder, 'config', '--get-regexp', '^(remote\\..*\\.url|branch\\..*\\.remote)$'],
    { env, timeoutMs: 30_000 },
  );
  const remoteUrl = pickRemoteUrl(configRun.code === 0 ? configRun.stdout : '', branch);
  const github = remoteUrl ? githubRepoOf(remoteUrl) : null;

  const name = path.basename(folder);
  const config: ComponentConfig = { name, type: 'git_commit', folder, method: 'git', ...(branch ? { branch } : {}) };
  const notes = [
    branch ? `branch ${branch}` : 'detached HEAD: set a branch before updating',
    github ? `GitHub: ${github.user}/${github.repo}` : remoteUrl ? `remote ${redactUrl(remoteUrl)}` : 'no remote',
  ];
  const candidate: Candidate = {
    source: 'git',
    baseId: slugId(name, 'checkout'),
    config,
    installed: head,
    note: notes.join('; '),
    tracks: (c) => typeof c.config.folder === 'string' && samePath(c.config.folder, folder),
  };
  if (github) candidate.github = github;
  return candidate;
}

/** The remote of the current branch's upstream, else origin, else the first remote. */
function pickRemoteUrl(configOutput: string, branch: string | null): string | null {
  const urls = new Map<string, string>();
  let branchRemote: string | undefined;
  for (const line of configOutput.split(/\r?\n/)) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, key = '', value = ''] = m;
    const remote = /^remote\.(.+)\.url$/.exec(key);
    if (remote?.[1]) urls.set(remote[1], value);
    if (branch && key === `branch.${branch}.remote`) branchRemote = value;
  }
  return (branchRemote && urls.get(branchRemote)) ?? urls.get('origin') ?? urls.values().next().value ?? null;
}

/** `git@github.com:u/r.git`, `https://github.com/u/r(.git)`, `ssh://git@github.com/u/r` → {user, repo}. */
export function githubRepoOf(url: string): { user: string; repo: string } | null {
  const m =
    /^(?:git\+)?(?:https?|ssh|git):\/\/(?:[^@/]+@)?(?:www\.)?github\.com(?::\d+)?\/([^/]+)\/([^/#?]+?)(?:\.git)?\/?$/i.exec(
      url.trim(),
    ) ?? /^(?:[^@/]+@)?github\.com:([^/]+)\/([^/#?]+?)(?:\.git)?\/?$/i.exec(url.trim());
  if (!m?.[1] || !m[2]) return null;
  return { user: m[1], repo: m[2] };
}

/** Never show credentials embedded in a remote URL. */
function redactUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/)[^@/]+@/i, '$1');
}

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(path.resolve(p));
    } catch {
      // Not resolvable (missing): compared as written.
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}
