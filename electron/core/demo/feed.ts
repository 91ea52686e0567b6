import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One file a demo release publishes beside its source tarball. */
export interface DemoAsset {
  name: string;
  bytes: Buffer;
}

/** A release the demo feed offers, as the demo describes it; the feed answers like GitHub's API. */
export interface DemoRelease {
  owner: string;
  repo: string;
  tag: string;
  name: string;
  notes: string;
  published_at: string;
  /** The source tarball (GitHub's `tarball_url`): a gzip tar with one top folder. */
  tarball: Buffer;
  assets?: DemoAsset[];
}

export interface DemoFeed {
  /** The value for a component's `api_base`. */
  apiBase: string;
  /** Where release files are downloaded from (GitHub's github.com side). */
  origin: string;
  close(): Promise<void>;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The release object GitHub's `GET /repos/{owner}/{repo}/releases` lists. */
function releaseJson(release: DemoRelease, id: number, origin: string): Record<string, unknown> {
  const repoApi = `${origin}/repos/${release.owner}/${release.repo}`;
  const tag = encodeURIComponent(release.tag);
  return {
    id,
    tag_name: release.tag,
    name: release.name,
    body: release.notes,
    draft: false,
    prerelease: false,
    target_commitish: 'main',
    created_at: release.published_at,
    published_at: release.published_at,
    html_url: `${origin}/${release.owner}/${release.repo}/releases/tag/${tag}`,
    url: `${repoApi}/releases/${id}`,
    tarball_url: `${repoApi}/tarball/${tag}`,
    zipball_url: null,
    author: { login: release.owner },
    assets: (release.assets ?? []).map((asset, i) => ({
      id: id * 100 + i + 1,
      name: asset.name,
      label: null,
      content_type: 'application/octet-stream',
      state: 'uploaded',
      size: asset.bytes.length,
      digest: `sha256:${sha256(asset.bytes)}`,
      browser_download_url: `${origin}/${release.owner}/${release.repo}/releases/download/${tag}/${encodeURIComponent(asset.name)}`,
    })),
  };
}

function send(res: http.ServerResponse, status: number, body: Buffer | string, type: string): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-type': type, 'content-length': String(bytes.length), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(bytes);
}

const sendJson = (res: http.ServerResponse, status: number, value: unknown) => send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');

function decodeParts(parts: string[]): string[] | null {
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    return null;
  }
}

/**
 * The demo's release feed: a real HTTP server on loopback answering the part of GitHub's releases
 * API that `github_release` components read (`/repos/{o}/{r}/releases`, `/releases/latest`,
 * `/releases/tags/{tag}`, `/tarball/{tag}`) and serving release assets and a plain release page.
 * Read-only: anything but GET and HEAD is refused.
 */
export async function startDemoFeed(releases: DemoRelease[], options: { host?: string; port?: number } = {}): Promise<DemoFeed> {
  let origin = '';
  const ordered = [...releases].sort((a, b) => Date.parse(b.published_at) - Date.parse(a.published_at));
  const ids = new Map(ordered.map((r, i) => [r, i + 1]));
  const of = (owner: string, repo: string) => ordered.filter((r) => r.owner === owner && r.repo === repo);

  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { message: 'Method Not Allowed' });
    const url = new URL(req.url ?? '/', 'http://feed.invalid');
    const parts = decodeParts(url.pathname.split('/').filter(Boolean));
    if (!parts) return sendJson(res, 400, { message: 'Bad Request' });
    const json = (r: DemoRelease) => releaseJson(r, ids.get(r) ?? 0, origin);
    const notFound = () => sendJson(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });

    if (parts[0] === 'repos' && parts.length >= 4) {
      const [, owner = '', repo = '', kind, ...rest] = parts;
      const list = of(owner, repo);
      if (list.length === 0) return notFound();
      if (kind === 'releases' && rest.length === 0) {
        // One page holds every demo release: page 2 onwards is empty, as on GitHub.
        const page = Number(url.searchParams.get('page') ?? '1');
        return sendJson(res, 200, page > 1 ? [] : list.map(json));
      }
      if (kind === 'releases' && rest[0] === 'latest' && rest.length === 1) return sendJson(res, 200, json(list[0] as DemoRelease));
      if (kind === 'releases' && rest[0] === 'tags' && rest.length === 2) {
        const found = list.find((r) => r.tag === rest[1]);
        return found ? sendJson(res, 200, json(found)) : notFound();
      }
      if (kind === 'tarball' && rest.length === 1) {
        const found = list.find((r) => r.tag === rest[0]);
        return found ? send(res, 200, found.tarball, 'application/x-gzip') : notFound();
      }
      return notFound();
    }
    const [owner = '', repo = '', releasesWord, kind, tag, name] = parts;
    const found = releasesWord === 'releases' ? of(owner, repo).find((r) => r.tag === tag) : undefined;
    if (found && kind === 'download' && parts.length === 6) {
      const asset = found.assets?.find((a) => a.name === name);
      return asset ? send(res, 200, asset.bytes, 'application/octet-stream') : notFound();
    }
    if (found && kind === 'tag' && parts.length === 5) {
      return send(res, 200, `${found.name}\n\n${found.notes}\n`, 'text/plain; charset=utf-8');
    }
    return notFound();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    apiBase: origin,
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
