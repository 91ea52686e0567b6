import { existsSync } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { isPackageOf } from '../../../shared/descriptors/registry';
import type { ComponentConfig } from '../../../shared/schemas/component';
import type { Candidate } from './lib/candidate';
import { slugId } from './lib/ids';
import { runTool, stderrTail } from './lib/run-tool';
import { isRecord } from '../../../shared/guards';

export interface NpmGlobalOptions {
  /** The npm command as argv (default: `npm`, found on PATH; on Windows npm-cli.js run by node.exe). */
  npm?: readonly string[];
  /** Extra environment, e.g. `NPM_CONFIG_PREFIX` for another global prefix. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

interface NpmLsEntry {
  version?: unknown;
  resolved?: unknown;
  missing?: unknown;
}

/**
 * Global npm packages (`npm ls -g --json --depth=0`) as npm_release components updated with
 * `npm install -g`. Linked packages (`npm link`, resolved from a local folder) are left out: they
 * are someone's working copy, not a registry install.
 */
export async function discoverNpmGlobal(options: NpmGlobalOptions = {}): Promise<Candidate[]> {
  const npm = options.npm ?? npmCommand();
  const argv = [...npm, 'ls', '-g', '--json', '--depth=0'];
  const result = await runTool(argv, {
    env: { npm_config_update_notifier: 'false', npm_config_fund: 'false', ...macGuiPath(), ...options.env },
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  const listing = parseListing(result.stdout);
  if (listing && isRecord(listing.dependencies)) {
    return Object.entries(listing.dependencies).flatMap(([name, entry]) =>
      isRecord(entry) ? candidate(name, entry) : [],
    );
  }
  const error = isRecord(listing?.error) ? listing.error : undefined;
  // A prefix where nothing was ever installed globally has no lib/node_modules (npm fails to lstat
  // it, or the prefix itself): nothing is installed there, which is an empty list, not a failure.
  if (error?.code === 'ENOENT' && /^ENOENT: no such file or directory, lstat /.test(String(error.summary ?? '')))
    return [];
  if (result.code === 0 && listing) return [];
  const why =
    typeof error?.summary === 'string' ? error.summary : stderrTail(result.stderr) || `exit code ${result.code}`;
  throw new UpkeepError(
    'COMMAND_FAILED',
    `\`npm ls -g\` failed: ${why}. Run \`npm ls -g --depth=0\` in a terminal to see what npm reports, fix it, and try again.`,
    {
      argv,
      exit_code: result.code,
    },
  );
}

function parseListing(stdout: string): Record<string, unknown> | null {
  const text = stdout.trim();
  if (!text) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : null;
  } catch {
    throw new UpkeepError(
      'PARSE_ERROR',
      '`npm ls -g --json` printed something that is not JSON. Check that `npm` is npm 7 or newer and try again.',
    );
  }
}

function candidate(name: string, entry: NpmLsEntry): Candidate[] {
  if (typeof entry.version !== 'string' || !entry.version || entry.missing) return [];
  if (typeof entry.resolved === 'string' && /^(file|link):/.test(entry.resolved)) return [];
  const config: ComponentConfig = {
    name,
    type: 'npm_release',
    package: name,
    method: 'npm',
    global: true,
    version_from: { npm: name, global: true },
  };
  return [
    {
      source: 'npm_global',
      baseId: slugId(name, 'npm-package'),
      config,
      installed: entry.version,
      note: `npm install -g ${name} (installed ${entry.version})`,
      tracks: (c) =>
        c.config.package === name &&
        isPackageOf(c.config, 'npm') &&
        (c.config.global === true ||
          (typeof c.config.version_from === 'object' &&
            'npm' in c.config.version_from &&
            c.config.version_from.global === true)),
    },
  ];
}

/**
 * npm as argv without a shell. On Windows `npm` is a .cmd script that cannot be spawned without a
 * shell, so run its npm-cli.js with the node.exe installed beside it.
 */
export function npmCommand(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  if (platform !== 'win32') return ['npm'];
  for (const dir of (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean)) {
    const cli = path.join(dir, 'node_modules', 'npm', 'bin', 'npm-cli.js');
    const node = path.join(dir, 'node.exe');
    if (existsSync(path.join(dir, 'npm.cmd')) && existsSync(cli) && existsSync(node)) return [node, cli];
  }
  throw new UpkeepError(
    'NOT_FOUND',
    'npm was not found on PATH. Install Node.js (it includes npm) and restart Upkeep.',
  );
}

/** Apps started from the macOS Dock get a minimal PATH; add the usual Homebrew and /usr/local folders. */
function macGuiPath(): Record<string, string> {
  if (process.platform !== 'darwin') return {};
  const extra = ['/opt/homebrew/bin', '/usr/local/bin'].filter((d) => !(process.env.PATH ?? '').split(':').includes(d));
  return extra.length ? { PATH: [process.env.PATH ?? '/usr/bin:/bin', ...extra].join(':') } : {};
}
