import { UpkeepError } from '../../../shared/errors';
import type { ReleaseAsset } from '../../../shared/types';
import { isPrereleaseVersion } from '../versions/compare';
import { requireKey } from './lib/config';
import { joinUrl } from './lib/links';
import { pickNewest } from './lib/pick-release';
import type { Checker } from './types';

interface PypiFile {
  filename?: string;
  packagetype?: string;
  url?: string;
  size?: number;
  yanked?: boolean;
  upload_time_iso_8601?: string;
  digests?: { sha256?: string };
}

interface PypiProject {
  info?: { name?: string; version?: string; project_url?: string };
  releases?: Record<string, PypiFile[]>;
}

/**
 * A package on PyPI or a PyPI-compatible index (`index_url`, JSON API at
 * `{index_url}/pypi/{package}/json`). Yanked releases and releases without files are ignored;
 * channel `stable` skips pre-releases, `prerelease` admits them.
 */
export const pypiReleaseChecker: Checker = {
  type: 'pypi_release',
  defaultCompare: 'python',
  readsInstalled: false,

  async check(ctx) {
    const pkg = requireKey(ctx.config, 'package', 'for type pypi_release (the distribution name on the index)');
    const index = (ctx.config.index_url ?? ctx.config.api_base ?? 'https://pypi.org').replace(/\/+$/, '').replace(/\/simple$/, '');
    const scheme = ctx.config.release_compare ?? 'python';
    const { data } = await ctx.http.getJson<PypiProject>(joinUrl(index, `pypi/${encodeURIComponent(pkg)}/json`), { signal: ctx.signal });
    if (typeof data !== 'object' || data === null || typeof data.releases !== 'object' || data.releases === null) {
      throw new UpkeepError('PARSE_ERROR', `${index} did not answer like PyPI's JSON API for "${pkg}". Check index_url (the index root, e.g. https://pypi.org).`);
    }
    const candidates = Object.entries(data.releases)
      .filter(([, files]) => Array.isArray(files) && files.length > 0 && files.some((f) => f.yanked !== true))
      .filter(([version]) => ctx.channel === 'prerelease' || !isPrereleaseVersion(version, scheme));
    const newest = pickNewest(candidates, ([v]) => v, scheme);
    if (!newest) throw new UpkeepError('CHECK_FAILED', `"${pkg}" has no ${ctx.channel === 'prerelease' ? '' : 'stable '}release that is not yanked on ${index}.`, { package: pkg });
    const [version, files] = newest;
    const live = files.filter((f) => f.yanked !== true);
    const assets: ReleaseAsset[] = live.map((f) => {
      const asset: ReleaseAsset = { name: f.filename ?? '', url: f.url ?? '' };
      if (typeof f.size === 'number') asset.size = f.size;
      if (f.digests?.sha256) asset.digest = `sha256:${f.digests.sha256}`;
      return asset;
    });
    const times = live.map((f) => f.upload_time_iso_8601).filter((t): t is string => typeof t === 'string').sort();
    const sdist = live.find((f) => f.packagetype === 'sdist');
    return {
      installed: ctx.installed,
      latest: version,
      target: { version, published_at: times[0] ?? null, tarball_url: sdist?.url ?? null, assets },
      releases: candidates.map(([v, fs]) => ({ version: v, body: '', published_at: fs.map((f) => f.upload_time_iso_8601).filter(Boolean).sort()[0] ?? null, url: `${index}/project/${encodeURIComponent(pkg)}/${v}/` })),
    };
  },

  async channels() {
    return [
      { id: 'stable', label: 'Stable' },
      { id: 'prerelease', label: 'Prereleases' },
    ];
  },
};
