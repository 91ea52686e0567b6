import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import type { ReleaseAsset } from '../../../shared/types';
import { satisfiesPep440 } from '../envs/pep440-specifier';
import { displayVersion, isPrereleaseVersion, orderVersions } from '../versions/compare';
import type { CompareScheme } from '../../../shared/schemas/component';
import { joinUrl } from './lib/links';
import { pickNewest } from './lib/pick-release';
import { interpreterOf, interpreterVersion } from './lib/python-version';
import { defineChecker, type CheckContext } from './types';

const optionalText = z.string().optional().catch(undefined);
/** One file of a release as the JSON API lists it; a field of another type reads as absent. */
const pypiFileSchema = z.looseObject({
  filename: optionalText,
  packagetype: optionalText,
  url: optionalText,
  size: z.number().optional().catch(undefined),
  yanked: z.boolean().optional().catch(undefined),
  requires_python: z.string().nullable().optional().catch(undefined),
  upload_time_iso_8601: optionalText,
  digests: z.looseObject({ sha256: optionalText }).optional().catch(undefined),
});
type PypiFile = z.output<typeof pypiFileSchema>;
/** What a check relies on: `releases`, each a list of files (a release listed otherwise has no files). */
const pypiProjectSchema = z.looseObject({ releases: z.record(z.string(), z.array(pypiFileSchema).catch([])) });

type Candidate = [string, PypiFile[]];

/** The `requires_python` of a release's live files that all of them share, or null when any file has none. */
function requiresPython(files: PypiFile[]): string[] {
  const specs = files
    .filter((f) => f.yanked !== true)
    .map((f) => (typeof f.requires_python === 'string' ? f.requires_python.trim() : ''));
  return specs.some((s) => s === '') ? [] : [...new Set(specs)];
}

/**
 * OctoPrint's pypi_release skips releases whose `requires_python` excludes the interpreter: pip
 * could not install them. The component's interpreter is run once to learn its version; when it
 * cannot be run the version is unknown, nothing is skipped, and the note says so.
 */
async function filterByPython(
  ctx: CheckContext<'pypi_release'>,
  candidates: Candidate[],
  scheme: CompareScheme,
): Promise<{ kept: Candidate[]; note?: string }> {
  const constrained = candidates.filter(([, files]) => requiresPython(files).length > 0);
  if (constrained.length === 0) return { kept: candidates };
  const probe = await interpreterVersion(interpreterOf(ctx.config), ctx.env, ctx.signal);
  if (probe.version === null) {
    return {
      kept: candidates,
      note: `requires_python not checked: the Python version of the component's interpreter is unknown (${probe.reason})`,
    };
  }
  const python = probe.version;
  const skipped: Candidate[] = [];
  const kept = candidates.filter((c) => {
    // A release is installable when one of its files admits this Python (an unreadable specifier admits, as pip does).
    const ok = c[1]
      .filter((f) => f.yanked !== true)
      .some(
        (f) =>
          typeof f.requires_python !== 'string' ||
          f.requires_python.trim() === '' ||
          satisfiesPep440(python, f.requires_python) !== false,
      );
    if (!ok) skipped.push(c);
    return ok;
  });
  const newestKept = pickNewest(kept, ([v]) => v, scheme)?.[0] ?? null;
  const newer = skipped.filter(([v]) => newestKept === null || (orderVersions(v, newestKept, scheme) ?? 0) > 0);
  if (newer.length === 0) return { kept, note: `requires_python checked against Python ${python} (${probe.python})` };
  const listed = newer
    .slice(0, 5)
    .map(([v, files]) => `${displayVersion(v)} (${requiresPython(files).join(' | ')})`)
    .join(', ');
  return {
    kept,
    note: `skipped ${newer.length} newer release${newer.length > 1 ? 's' : ''} whose requires_python excludes Python ${python} (${probe.python}): ${listed}${newer.length > 5 ? ', …' : ''}`,
  };
}

/**
 * A package on PyPI or a PyPI-compatible index (`index_url`, JSON API at
 * `{index_url}/pypi/{package}/json`). Yanked releases and releases without files are ignored;
 * channel `stable` skips pre-releases, `prerelease` admits them; releases whose `requires_python`
 * excludes the component's interpreter are skipped, as OctoPrint does, and the explanation says so.
 */
export const pypiReleaseChecker = defineChecker<'pypi_release'>({
  type: 'pypi_release',
  defaultCompare: 'python',
  readsInstalled: false,

  async check(ctx) {
    const pkg = ctx.config.package;
    const index = (ctx.config.index_url ?? ctx.config.api_base ?? 'https://pypi.org')
      .replace(/\/+$/, '')
      .replace(/\/simple$/, '');
    const scheme = ctx.config.release_compare ?? 'python';
    const { data: raw } = await ctx.http.getJson<unknown>(joinUrl(index, `pypi/${encodeURIComponent(pkg)}/json`), {
      signal: ctx.signal,
    });
    const data = pypiProjectSchema.safeParse(raw);
    if (!data.success) {
      throw new UpkeepError(
        'PARSE_ERROR',
        `${index} did not answer like PyPI's JSON API for "${pkg}". Check index_url (the index root, e.g. https://pypi.org).`,
      );
    }
    const listed = Object.entries(data.data.releases)
      .filter(([, files]) => files.length > 0 && files.some((f) => f.yanked !== true))
      .filter(([version]) => ctx.channel === 'prerelease' || !isPrereleaseVersion(version, scheme));
    const { kept: candidates, note } = await filterByPython(ctx, listed, scheme);
    const newest = pickNewest(candidates, ([v]) => v, scheme);
    if (!newest) {
      const why =
        listed.length > 0
          ? ` that the component's Python can install: ${note ?? ''}. Check \`python\` (the interpreter the component runs)`
          : ` that is not yanked on ${index}`;
      throw new UpkeepError(
        'CHECK_FAILED',
        `"${pkg}" has no ${ctx.channel === 'prerelease' ? '' : 'stable '}release${why}.`,
        { package: pkg },
      );
    }
    const [version, files] = newest;
    const live = files.filter((f) => f.yanked !== true);
    const assets: ReleaseAsset[] = live.map((f) => {
      const asset: ReleaseAsset = { name: f.filename ?? '', url: f.url ?? '' };
      if (typeof f.size === 'number') asset.size = f.size;
      if (f.digests?.sha256) asset.digest = `sha256:${f.digests.sha256}`;
      return asset;
    });
    const times = live
      .map((f) => f.upload_time_iso_8601)
      .filter((t): t is string => typeof t === 'string')
      .sort();
    const sdist = live.find((f) => f.packagetype === 'sdist');
    return {
      installed: ctx.installed,
      latest: version,
      ...(note ? { note } : {}),
      target: { version, published_at: times[0] ?? null, tarball_url: sdist?.url ?? null, assets },
      releases: candidates.map(([v, fs]) => ({
        version: v,
        body: '',
        published_at:
          fs
            .map((f) => f.upload_time_iso_8601)
            .filter(Boolean)
            .sort()[0] ?? null,
        url: `${index}/project/${encodeURIComponent(pkg)}/${v}/`,
      })),
    };
  },
});
