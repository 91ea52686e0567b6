import path from 'node:path';
import { UpkeepError } from '../../../../shared/errors';
import type { ReleaseAsset, UpdateTarget } from '../../../../shared/types';
import { originOf, type ScopedCredential } from '../../net/credentials';
import type { UpdaterContext } from '../types';
import { downloadFile, downloadText, type DownloadOptions } from './download';
import { assertChecksum, parseChecksums, verifyMinisign } from './verify';

export interface ChosenDownload {
  url: string;
  /** Asset name, or the source tarball's file name. */
  name: string;
  size?: number;
  digest?: string | null;
  /** The API's endpoint for the asset (see `assetUrl`). */
  api_url?: string;
  sourceTarball: boolean;
}

const CHECKSUM_LISTS = [
  'SHA256SUMS',
  'SHA256SUMS.txt',
  'sha256sums.txt',
  'sha256sum.txt',
  'checksums.txt',
  'CHECKSUMS.txt',
];

/** `{version}` (the tag without a leading v) and `{tag}` in an asset name. */
export function assetNameFor(template: string, target: UpdateTarget): string {
  const tag = target.tag ?? target.version;
  const version = tag.replace(/^v(?=\d)/, '');
  return template
    .replaceAll('{version}', version)
    .replaceAll('{tag}', tag)
    .replaceAll('{target_version}', target.version);
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

export function findAsset(target: UpdateTarget, pattern: string): ReleaseAsset | undefined {
  const assets = target.assets ?? [];
  const name = assetNameFor(pattern, target);
  if (name.includes('*') || name.includes('?')) {
    const re = globToRegExp(name);
    return assets.find((a) => re.test(a.name) && !/\.(sha256|minisig|sig|asc)$/i.test(a.name));
  }
  return assets.find((a) => a.name === name);
}

/** The release file to install: the `asset` named by the config, else the source tarball. */
export function chooseDownload(ctx: Pick<UpdaterContext, 'config' | 'target' | 'component'>): ChosenDownload {
  const { config, target } = ctx;
  if (config.asset) {
    const asset = findAsset(target, config.asset);
    if (!asset) {
      const names = (target.assets ?? []).map((a) => a.name).join(', ') || 'none';
      throw new UpkeepError(
        'NOT_FOUND',
        `Release ${target.tag ?? target.version} has no asset matching "${assetNameFor(config.asset, target)}" (assets: ${names}). Fix \`asset\` in the component config.`,
      );
    }
    const chosen: ChosenDownload = {
      url: asset.url,
      name: asset.name,
      digest: asset.digest ?? null,
      sourceTarball: false,
    };
    if (asset.size !== undefined) chosen.size = asset.size;
    if (asset.api_url) chosen.api_url = asset.api_url;
    return chosen;
  }
  if (!target.tarball_url) {
    throw new UpkeepError(
      'NOT_FOUND',
      `Release ${target.tag ?? target.version} of ${ctx.component.id} has no source tarball. Set \`asset\` to the release file to install.`,
    );
  }
  const repo = config.repo ?? ctx.component.id;
  return {
    url: target.tarball_url,
    name: `${repo}-${(target.tag ?? target.version).replace(/^v(?=\d)/, '')}.tar.gz`,
    sourceTarball: true,
  };
}

export function downloadOptions(ctx: UpdaterContext): DownloadOptions {
  const options: DownloadOptions = {
    signal: ctx.signal,
    onRetry: (attempt, error) => ctx.log(`${error.message} Retrying from the start (attempt ${attempt + 1}).`),
  };
  if (ctx.downloadIdleTimeoutMs !== undefined) options.bodyTimeoutMs = ctx.downloadIdleTimeoutMs;
  const credential = ctx.credential();
  if (credential) options.credential = credential;
  return options;
}

/**
 * Where to fetch a release asset: the API's asset endpoint (`…/releases/assets/ID`, answered with
 * the bytes for `Accept: application/octet-stream`) when the credential belongs to that origin, so
 * private repositories download; else the public download URL, which gets no credential.
 */
export function assetUrl(
  asset: Pick<ReleaseAsset, 'url' | 'api_url'>,
  credential: ScopedCredential | undefined,
): string {
  if (credential && asset.api_url && originOf(asset.api_url) === credential.origin) return asset.api_url;
  return asset.url;
}

/**
 * Verify a downloaded release file: every checksum the release offers must match (config
 * `checksum`, the host's `digest`, a SHA256SUMS list, `<name>.sha256`), and with a pinned
 * `public_key` its minisign signature must verify. `require_checksum` refuses unverified files.
 */
export async function verifyReleaseFile(
  ctx: UpdaterContext,
  file: string,
  sha256: string,
  chosen: ChosenDownload,
): Promise<void> {
  const { config, target } = ctx;
  const what = chosen.name;
  const sources: string[] = [];
  if (config.checksum) {
    assertChecksum(sha256, config.checksum.slice('sha256:'.length), what, 'the component config (checksum)');
    sources.push('checksum in config');
  }
  if (chosen.digest && /^sha256:[0-9a-f]{64}$/i.test(chosen.digest)) {
    assertChecksum(sha256, chosen.digest.slice('sha256:'.length), what, 'the release host (asset digest)');
    sources.push('asset digest');
  }
  const assets = target.assets ?? [];
  const list = assets.find((a) => CHECKSUM_LISTS.includes(a.name));
  const sumNames = [what, ...(chosen.sourceTarball ? [path.basename(new URL(chosen.url, 'http://x').pathname)] : [])];
  if (list) {
    const text = await downloadText(
      assetUrl(list, ctx.credential()),
      path.join(ctx.workDir, `checksums-${list.name}`),
      downloadOptions(ctx),
    );
    const { byName } = parseChecksums(text);
    const expected = sumNames.map((n) => byName.get(n)).find((v) => v !== undefined);
    if (expected) {
      assertChecksum(sha256, expected, what, list.name);
      sources.push(list.name);
    } else if (!chosen.sourceTarball) {
      ctx.log(`${list.name} does not list ${what}`);
    }
  }
  const single = assets.find((a) => a.name === `${what}.sha256` || a.name === `${what}.sha256sum`);
  if (single) {
    const text = await downloadText(
      assetUrl(single, ctx.credential()),
      path.join(ctx.workDir, single.name),
      downloadOptions(ctx),
    );
    const { byName, lone } = parseChecksums(text);
    const expected = byName.get(what) ?? lone ?? [...byName.values()][0];
    if (!expected)
      throw new UpkeepError(
        'CHECKSUM_MISSING',
        `${single.name} holds no sha256 digest; cannot verify ${what}. Report it to the publisher.`,
      );
    assertChecksum(sha256, expected, what, single.name);
    sources.push(single.name);
  }
  if (sources.length) ctx.log(`sha256 ${sha256} verified against ${sources.join(', ')}`);
  else if (config.require_checksum) {
    throw new UpkeepError(
      'CHECKSUM_MISSING',
      `Release ${target.tag ?? target.version} publishes no checksum for ${what} (no digest, SHA256SUMS or ${what}.sha256) and require_checksum is on. Set \`checksum: sha256:<hex>\` after verifying the file yourself, or turn require_checksum off.`,
    );
  } else ctx.log(`warning: ${what} is not verified — the release publishes no checksum (sha256 ${sha256})`);

  if (config.public_key) {
    const sigName = config.signature ? assetNameFor(config.signature, target) : `${what}.minisig`;
    const sigAsset = assets.find((a) => a.name === sigName);
    if (!sigAsset) {
      throw new UpkeepError(
        'SIGNATURE_INVALID',
        `A public_key is pinned but release ${target.tag ?? target.version} has no signature ${sigName}; refusing an unsigned download. Ask the publisher, or fix \`signature\`.`,
      );
    }
    const text = await downloadText(
      assetUrl(sigAsset, ctx.credential()),
      path.join(ctx.workDir, sigName),
      downloadOptions(ctx),
    );
    await verifyMinisign(file, text, config.public_key, what);
    ctx.log(`minisign signature ${sigName} verified against the pinned public key`);
  }
}

export { downloadFile };
