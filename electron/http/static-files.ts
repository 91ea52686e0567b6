import { createReadStream, promises as fs } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp';
import { UpkeepError } from '../../shared/errors';
import { decodePath, sendError } from './respond';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** A file of the built panel (`root`, dist/renderer); index.html for every path that is not one. */
export async function serveStatic(root: string | undefined, pathname: string, res: http.ServerResponse): Promise<void> {
  if (!root)
    return sendError(res, 404, new UpkeepError('NOT_FOUND', 'The panel is not built. Run `npm run build` first.'));
  const rel = decodePath(pathname);
  if (rel === undefined)
    return sendError(res, 400, new UpkeepError('INVALID_REQUEST', 'Bad path: it has a malformed %-escape.'));
  const resolved = path.resolve(root, `.${rel}`);
  if (resolved !== root && !resolved.startsWith(root + path.sep)) {
    return sendError(res, 404, new UpkeepError('NOT_FOUND', 'Not found.'));
  }
  let file = resolved;
  // Missing: the panel is a single page, index.html answers below.
  let stat = await fs.stat(file).catch(() => undefined);
  if (!stat || stat.isDirectory()) {
    // The panel is a single page: unknown paths get index.html.
    file = path.join(root, 'index.html');
    // Not built: answered 404 with how to build it.
    stat = await fs.stat(file).catch(() => undefined);
    if (!stat)
      return sendError(res, 404, new UpkeepError('NOT_FOUND', 'The panel is not built. Run `npm run build` first.'));
  }
  const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', stat.size);
  if (type.startsWith('text/html')) {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Frame-Options', 'DENY');
  } else if (file.includes(`${path.sep}assets${path.sep}`)) {
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  }
  res.writeHead(200);
  createReadStream(file).pipe(res);
}
