import path from 'node:path';
import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import type { ComponentConfig } from '../../../shared/schemas/component';
import type { Advisory, PackageUpdate, RiskInfo } from '../../../shared/types';
import type { HttpClient } from '../net/http-client';
import { mapBounded } from '../net/limiter';
import { buildRisk, markUnknown } from '../risk/flags';
import { pypiAdvisories, pypiJsonRoot } from '../risk/pypi-advisories';
import { isPrereleaseVersion, orderVersions } from '../versions/compare';
import { satisfiesPep440 } from './pep440-specifier';
import { envFolder, envPython, listInstalled, pythonVersion } from './python-env';
import { normalizePackageName, readPins, type Pins } from './requirements';
import type { EnvRun } from './run';

/** What is read of a PyPI JSON answer: each release's files, whether yanked and which Python they need. */
const jsonFileSchema = z.looseObject({
  yanked: z.boolean().optional().catch(undefined),
  requires_python: z.string().nullable().optional().catch(undefined),
});
const jsonProjectSchema = z.looseObject({ releases: z.record(z.string(), z.array(jsonFileSchema).catch([])) });

export interface PipOutdatedResult {
  python: string;
  installed_count: number;
  packages: PackageUpdate[];
}

/** Which packages of the environment the config lets Upkeep look at. */
export function packageFilter(config: ComponentConfig): (name: string) => boolean {
  const only = config.only?.map(normalizePackageName);
  const ignore = new Set((config.ignore ?? []).map(normalizePackageName));
  return (name) => {
    const key = normalizePackageName(name);
    return !ignore.has(key) && (!only || only.includes(key));
  };
}

/** The pins of `requirements` and `constraints` (paths relative to the environment folder). */
export async function environmentPins(config: ComponentConfig, python: string): Promise<Pins> {
  const pins: Pins = new Map();
  const base = envFolder(config, python);
  for (const file of [config.requirements, config.constraints])
    if (file) await readPins(path.resolve(base, file), pins);
  return pins;
}

function newest(versions: string[]): string | null {
  let best: string | null = null;
  for (const v of versions) if (best === null || (orderVersions(v, best, 'python') ?? 0) > 0) best = v;
  return best;
}

/** The risk of moving one distribution to `target`; advisories that cannot be read leave security unknown. */
async function packageRisk(
  http: HttpClient,
  config: ComponentConfig,
  dist: { name: string; version: string },
  target: string,
  signal?: AbortSignal,
): Promise<RiskInfo> {
  let advisories: Advisory[] = [];
  let failure: unknown = null;
  try {
    advisories = await pypiAdvisories(
      http,
      config.index_url,
      normalizePackageName(dist.name),
      dist.version,
      target,
      signal,
    );
  } catch (error) {
    if (signal?.aborted) throw error;
    failure = error;
  }
  const risk = buildRisk({ installed: dist.version, target, advisories });
  return failure === null
    ? risk
    : markUnknown(risk, 'security', failure, `the advisories of ${dist.name} ${dist.version}`);
}

/**
 * `pip list --outdated` semantics over the index's JSON API: for every installed distribution the
 * index knows, the newest release that is not yanked, has files, runs on this interpreter and (on
 * the stable channel, unless a pre-release is installed) is final. `wanted` is the newest such
 * release the requirements/constraints pins allow; the update installs `wanted`, never crossing a
 * pin. Packages the index does not know (local builds) are skipped, as pip does.
 */
export async function findPipOutdated(options: {
  config: ComponentConfig;
  channel: string;
  http: HttpClient;
  run: EnvRun;
  signal?: AbortSignal;
}): Promise<PipOutdatedResult> {
  const { config, http, run } = options;
  const python = envPython(config);
  const [installed, pyVersion, pins] = await Promise.all([
    listInstalled(run, python),
    pythonVersion(run, python),
    environmentPins(config, python),
  ]);
  const root = pypiJsonRoot(config.index_url);
  const keep = packageFilter(config);
  const candidates = installed.filter((d) => keep(d.name));
  const rows = await mapBounded(candidates, 8, async (dist): Promise<PackageUpdate | null> => {
    const response = await http.request(`${root}/pypi/${encodeURIComponent(normalizePackageName(dist.name))}/json`, {
      headers: { accept: 'application/json' },
      acceptStatus: [404],
      maxBytes: 64 * 1024 * 1024,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (response.status === 404) return null;
    let doc: z.output<typeof jsonProjectSchema>;
    try {
      doc = jsonProjectSchema.parse(response.json<unknown>());
    } catch {
      // Not JSON (response.json throws PARSE_ERROR) or not this shape: the same clear error either way.
      throw new UpkeepError(
        'PARSE_ERROR',
        `${root} did not answer like PyPI's JSON API for ${dist.name}. Check index_url (the index root, e.g. https://pypi.org).`,
      );
    }
    const admitPre = options.channel === 'prerelease' || isPrereleaseVersion(dist.version, 'python');
    const usable = Object.entries(doc.releases)
      .filter(([, files]) =>
        files.some(
          (f) => f.yanked !== true && (!f.requires_python || satisfiesPep440(pyVersion, f.requires_python) !== false),
        ),
      )
      .map(([v]) => v)
      .filter((v) => orderVersions(v, v, 'python') !== null && (admitPre || !isPrereleaseVersion(v, 'python')));
    const latest = newest(usable);
    if (latest === null || (orderVersions(latest, dist.version, 'python') ?? 0) <= 0) return null;
    const specs = pins.get(normalizePackageName(dist.name)) ?? [];
    const allowed = specs.length
      ? usable.filter((v) => specs.every((s) => satisfiesPep440(v, s.specifier) !== false))
      : usable;
    const wanted = newest(allowed);
    const target = wanted !== null && (orderVersions(wanted, dist.version, 'python') ?? 0) > 0 ? wanted : dist.version;
    return {
      name: dist.name,
      installed: dist.version,
      wanted,
      latest,
      target,
      location: specs.length ? specs.map((s) => `${path.basename(s.file)}: ${s.line}`).join('; ') : null,
      risk:
        target !== dist.version
          ? await packageRisk(http, config, dist, target, options.signal)
          : {
              flags: [],
              advisories: [],
              reasons: [`${specs.map((s) => s.line).join(', ')} holds it at ${dist.version}`],
            },
    };
  });
  return {
    python,
    installed_count: installed.length,
    packages: rows.filter((r): r is PackageUpdate => r !== null).sort((a, b) => a.name.localeCompare(b.name)),
  };
}
