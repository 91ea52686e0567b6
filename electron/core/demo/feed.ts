import { createHash } from 'node:crypto';
import http from 'node:http';

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
  res.writeHead(status, {
    'content-type': type,
    'content-length': String(bytes.length),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(bytes);
}

function decodeParts(parts: string[]): string[] | null {
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    // Malformed percent-encoding: not a path the demo feed serves (answered 404).
    return null;
  }
}

type Reply = (status: number, body: Buffer | string, type: string) => void;

const notFound = (reply: Reply) =>
  reply(
    404,
    JSON.stringify({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }),
    'application/json; charset=utf-8',
  );
const json = (reply: Reply, value: unknown) => reply(200, JSON.stringify(value), 'application/json; charset=utf-8');

/** `/repos/{owner}/{repo}/…`: the releases API (one page holds every demo release) and source tarballs. */
function answerApi(
  list: DemoRelease[],
  rest: string[],
  page: number,
  toJson: (r: DemoRelease) => unknown,
  reply: Reply,
): void {
  const [kind, first, second] = rest;
  if (kind === 'releases' && rest.length === 1) return json(reply, page > 1 ? [] : list.map(toJson));
  const [latest] = list;
  if (kind === 'releases' && first === 'latest' && rest.length === 2 && latest) return json(reply, toJson(latest));
  if (kind === 'releases' && first === 'tags' && rest.length === 3) {
    const found = list.find((r) => r.tag === second);
    return found ? json(reply, toJson(found)) : notFound(reply);
  }
  if (kind === 'tarball' && rest.length === 2) {
    const found = list.find((r) => r.tag === first);
    return found ? reply(200, found.tarball, 'application/x-gzip') : notFound(reply);
  }
  notFound(reply);
}

/** `/{owner}/{repo}/releases/download/{tag}/{name}` (an asset) and `/…/releases/tag/{tag}` (the release page). */
function answerDownload(list: DemoRelease[], rest: string[], reply: Reply): void {
  const [releasesWord, kind, tag, name] = rest;
  const found = releasesWord === 'releases' ? list.find((r) => r.tag === tag) : undefined;
  if (found && kind === 'download' && rest.length === 4) {
    const asset = found.assets?.find((a) => a.name === name);
    return asset ? reply(200, asset.bytes, 'application/octet-stream') : notFound(reply);
  }
  if (found && kind === 'tag' && rest.length === 3)
    return reply(200, `${found.name}\n\n${found.notes}\n`, 'text/plain; charset=utf-8');
  notFound(reply);
}

/**
 * The demo's release feed: a real HTTP server on loopback answering the part of GitHub's releases
 * API that `github_release` components read (`/repos/{o}/{r}/releases`, `/releases/latest`,
 * `/releases/tags/{tag}`, `/tarball/{tag}`) and serving release assets and a plain release page.
 * Read-only: anything but GET and HEAD is refused.
 */
export async function startDemoFeed(
  releases: DemoRelease[],
  options: { host?: string; port?: number } = {},
): Promise<DemoFeed> {
  let origin = '';
  const ordered = [...releases].sort((a, b) => Date.parse(b.published_at) - Date.parse(a.published_at));
  const ids = new Map(ordered.map((r, i) => [r, i + 1]));
  const toJson = (r: DemoRelease) => releaseJson(r, ids.get(r) ?? 0, origin);

  const server = http.createServer((req, res) => {
    const reply: Reply = (status, body, type) => send(res, status, body, type);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return reply(405, JSON.stringify({ message: 'Method Not Allowed' }), 'application/json; charset=utf-8');
    const url = new URL(req.url ?? '/', 'http://feed.invalid');
    const parts = decodeParts(url.pathname.split('/').filter(Boolean));
    if (!parts) return reply(400, JSON.stringify({ message: 'Bad Request' }), 'application/json; charset=utf-8');
    const api = parts[0] === 'repos';
    const [owner, repo, ...rest] = api ? parts.slice(1) : parts;
    const list = ordered.filter((r) => r.owner === owner && r.repo === repo);
    if (list.length === 0) return notFound(reply);
    if (api) return answerApi(list, rest, Number(url.searchParams.get('page') ?? '1'), toJson, reply);
    answerDownload(list, rest, reply);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the demo feed is not listening on a TCP port');
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
