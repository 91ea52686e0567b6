import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import type { ChannelOption } from '../../../shared/types';
import { joinUrl } from './lib/links';
import { defineChecker, type CheckContext } from './types';

const optionalText = z.string().optional().catch(undefined);
/** What a check reads of a packument; unknown fields pass, optional ones of another type read as absent. */
const packumentSchema = z.looseObject({
  name: optionalText,
  'dist-tags': z.record(z.string(), z.string()),
  versions: z
    .record(
      z.string(),
      z.looseObject({
        version: optionalText,
        deprecated: optionalText,
        dist: z
          .looseObject({ tarball: optionalText, integrity: optionalText, shasum: optionalText })
          .optional()
          .catch(undefined),
      }),
    )
    .optional()
    .catch(undefined),
  time: z.record(z.string(), z.string().nullable().catch(null)).optional().catch(undefined),
});
type Packument = z.output<typeof packumentSchema>;

/** The registry path of a package: scoped names escape only the slash (`@scope%2fname`), as npm does. */
export function packumentPath(name: string): string {
  return name.startsWith('@')
    ? `@${encodeURIComponent(name.slice(1)).replace(/%2F/i, '%2f')}`
    : encodeURIComponent(name);
}

async function fetchPackument(
  ctx: CheckContext<'npm_release'>,
): Promise<{ name: string; doc: Packument; registry: string }> {
  const name = ctx.config.package;
  const registry = (ctx.config.registry ?? ctx.config.api_base ?? 'https://registry.npmjs.org').replace(/\/+$/, '');
  const { data } = await ctx.http.getJson<unknown>(joinUrl(registry, packumentPath(name)), {
    // The abbreviated document: dist-tags and versions without readmes (far smaller).
    headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' },
    maxBytes: 128 * 1024 * 1024,
    signal: ctx.signal,
  });
  const doc = packumentSchema.safeParse(data);
  if (!doc.success) {
    throw new UpkeepError(
      'PARSE_ERROR',
      `${registry} did not answer with an npm packument for "${name}". Check registry.`,
    );
  }
  return { name, doc: doc.data, registry };
}

/** The channel's dist-tag: `stable` (Upkeep's generic default) means npm's `latest`. */
function distTagOf(channel: string): string {
  return channel === 'stable' ? 'latest' : channel;
}

/** A package on the npm registry (or `registry`); the channel is a dist-tag (`latest`, `next`, `beta` …). */
export const npmReleaseChecker = defineChecker<'npm_release'>({
  type: 'npm_release',
  defaultCompare: 'semantic',
  readsInstalled: false,

  async check(ctx) {
    const { name, doc } = await fetchPackument(ctx);
    const tags = doc['dist-tags'] ?? {};
    const tag = distTagOf(ctx.channel);
    const version = tags[tag];
    if (!version) {
      throw new UpkeepError(
        'CHECK_FAILED',
        `"${name}" has no dist-tag "${tag}". Its tags: ${Object.keys(tags).join(', ') || 'none'}. Choose one of them as the channel.`,
        { package: name, channel: tag },
      );
    }
    const manifest = doc.versions?.[version];
    const tarball = manifest?.dist?.tarball ?? null;
    const base = name.split('/')[1] ?? name;
    return {
      installed: ctx.installed,
      latest: version,
      target: {
        version,
        published_at: doc.time?.[version] ?? null,
        tarball_url: tarball,
        assets: tarball ? [{ name: `${base}-${version}.tgz`, url: tarball }] : [],
      },
    };
  },

  async channels(ctx): Promise<ChannelOption[]> {
    const { doc } = await fetchPackument(ctx);
    return Object.entries(doc['dist-tags'] ?? {})
      .sort(([a], [b]) => (a === 'latest' ? -1 : b === 'latest' ? 1 : a.localeCompare(b)))
      .map(([tag, version]) => ({ id: tag, label: `${tag} (${version})` }));
  },
});
