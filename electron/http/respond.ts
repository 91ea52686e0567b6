import type http from 'node:http';
import { toErrorShape } from '../../shared/errors';

/** A URL path with its %-escapes decoded; undefined when one is malformed (`%E0%A4%A`). */
export function decodePath(pathname: string): string | undefined {
  try {
    return decodeURIComponent(pathname);
  } catch {
    // Malformed percent-encoding: answered 400 by the caller.
    return undefined;
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendError(res: http.ServerResponse, status: number, error: unknown): void {
  sendJson(res, status, { error: toErrorShape(error) });
}
