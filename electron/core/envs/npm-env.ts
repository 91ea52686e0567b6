import { existsSync } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import type { ComponentConfig } from '../../../shared/schemas/component';
import type { PackageUpdate } from '../../../shared/types';
import type { HttpClient } from '../net/http-client';
import { buildRisk, markUnknown } from '../risk/flags';
import { fixedAdvisories, npmBulkAdvisories } from '../risk/npm-advisories';
import type { EnvRun } from './run';
import { isRecord } from '../../../shared/guards';

/** npm without prompts, colours, funding or audit chatter. */
export const NPM_ENV: Record<string, string> = {
  NO_COLOR: '1',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  npm_config_update_notifier: 'false',
  npm_config_progress: 'false',
};

export function isGlobalEnv(config: ComponentConfig): boolean {
  return envProjectFolder(config) === null;
}

/** The npm project folder of an environment; null for the global prefix (global: true, or no folder). */
export function envProjectFolder(config: ComponentConfig): string | null {
  return config.global === true || !config.folder ? null : config.folder;
}

/** `--global` and `--registry` as the component asks. */
export function npmScopeArgs(config: ComponentConfig): string[] {
  return [...(isGlobalEnv(config) ? ['--global'] : []), ...(config.registry ? ['--registry', config.registry] : [])];
}

export function npmCwd(config: ComponentConfig): { cwd?: string } {
  const folder = envProjectFolder(config);
  return folder === null ? {} : { cwd: folder };
}

interface OutdatedRow {
  current?: string;
  wanted?: string;
  latest?: string;
  location?: string;
  dependent?: string;
  type?: string;
}

/** Parse `npm outdated --json`: one object per package (or an array when it is installed in several places). */
export function parseNpmOutdated(stdout: string): Map<string, OutdatedRow> {
  const text = stdout.trim();
  if (!text) return new Map();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UpkeepError(
      'PARSE_ERROR',
      '`npm outdated --json` did not print JSON. Run it in the folder to see what npm says.',
    );
  }
  if (!isRecord(doc))
    throw new UpkeepError('PARSE_ERROR', '`npm outdated --json` printed something other than an object.');
  const error = doc.error;
  if (error) {
    const summary = isRecord(error) && typeof error.summary === 'string' ? error.summary : 'unknown error';
    const detail = isRecord(error) && typeof error.detail === 'string' ? error.detail : '';
    throw new UpkeepError('COMMAND_FAILED', `npm outdated failed: ${summary}${detail ? ` (${detail})` : ''}.`);
  }
  const out = new Map<string, OutdatedRow>();
  for (const [name, value] of Object.entries(doc as Record<string, OutdatedRow | OutdatedRow[]>)) {
    const row = Array.isArray(value)
      ? (value.find((r) => r.dependent === undefined || r.location?.split('node_modules').length === 2) ?? value[0])
      : value;
    if (row) out.set(name, row);
  }
  return out;
}

/** Installed top-level packages (`npm ls --depth=0 --json`). */
export async function npmInstalled(run: EnvRun, config: ComponentConfig): Promise<Map<string, string>> {
  const r = await run(['npm', 'ls', '--depth=0', '--json', ...npmScopeArgs(config)], {
    ...npmCwd(config),
    env: NPM_ENV,
  });
  let doc: { dependencies?: Record<string, { version?: string }> };
  try {
    doc = JSON.parse(r.stdout || '{}');
  } catch {
    throw new UpkeepError('PARSE_ERROR', '`npm ls --json` did not print JSON.');
  }
  const out = new Map<string, string>();
  for (const [name, dep] of Object.entries(doc.dependencies ?? {})) if (dep.version) out.set(name, dep.version);
  return out;
}

/**
 * `npm outdated --json` in the folder (or the global prefix), with the bulk advisory endpoint asked
 * about every outdated version. `target` is `wanted` (inside the ranges package.json allows) unless
 * `cross_ranges` is set, then `latest`.
 */
export async function findNpmOutdated(options: {
  config: ComponentConfig;
  http: HttpClient;
  run: EnvRun;
  signal?: AbortSignal;
}): Promise<{ installed_count: number; packages: PackageUpdate[] }> {
  const { config, run } = options;
  const folder = envProjectFolder(config);
  if (folder !== null) {
    if (!existsSync(path.join(folder, 'package.json'))) {
      throw new UpkeepError(
        'NOT_FOUND',
        `${folder} has no package.json. Set \`folder\` to the npm project (or global: true for the global packages).`,
      );
    }
  }
  const r = await run(['npm', 'outdated', '--json', '--long', ...npmScopeArgs(config)], {
    ...npmCwd(config),
    env: NPM_ENV,
  });
  // npm outdated exits 1 when something is outdated; only output that is not JSON is a failure.
  if (r.code !== 0 && !r.stdout.trim().startsWith('{')) {
    const last = r.stderr.trim().split('\n').filter(Boolean).slice(-2).join(' | ');
    throw new UpkeepError(
      'COMMAND_FAILED',
      `\`npm outdated\` failed${last ? `: ${last}` : ''}. Run it in ${config.folder ?? 'the global prefix'} to see why.`,
    );
  }
  const rows = parseNpmOutdated(r.stdout);
  const installed = await npmInstalled(run, config);
  const only = config.only;
  const ignore = new Set(config.ignore ?? []);
  const cross = config.cross_ranges === true;
  const picked = [...rows.entries()].flatMap(([name, row]) =>
    row.current && row.latest && !ignore.has(name) && (!only || only.includes(name))
      ? [{ name, row, current: row.current, latest: row.latest }]
      : [],
  );
  const askFor: Record<string, string[]> = {};
  for (const { name, current } of picked) askFor[name] = [current];
  let answer: Awaited<ReturnType<typeof npmBulkAdvisories>> = {};
  let advisoryError: unknown = null;
  try {
    answer = picked.length ? await npmBulkAdvisories(options.http, config.registry, askFor, options.signal) : {};
  } catch (error) {
    if (options.signal?.aborted) throw error;
    // A registry without the audit endpoint (a read-only mirror): the check stands, security unknown.
    advisoryError = error;
  }
  const packages: PackageUpdate[] = picked.map(({ name, row, current, latest }) => {
    const wanted = row.wanted ?? null;
    const target = cross ? latest : (wanted ?? current);
    const advisories = target !== current ? fixedAdvisories(answer[name], current, target) : [];
    const risk =
      target !== current
        ? buildRisk({ installed: current, target, advisories })
        : {
            flags: [],
            advisories: [],
            reasons: [`package.json allows only ${wanted ?? current}; set cross_ranges to go to ${latest}`],
          };
    if (advisoryError !== null && target !== current)
      markUnknown(risk, 'security', advisoryError, 'the security advisories');
    return {
      name,
      installed: current,
      wanted,
      latest,
      target,
      location: row.location ?? null,
      risk,
    };
  });
  packages.sort((a, b) => a.name.localeCompare(b.name));
  return { installed_count: Math.max(installed.size, packages.length), packages };
}
