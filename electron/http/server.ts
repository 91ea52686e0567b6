import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EVENT_NAMES, invokeMethod, type ApiImplementation, type CallContext } from '../../shared/contract';
import { UpkeepError, toErrorShape, type ErrorCode } from '../../shared/errors';
import type { EventBus } from '../core/events';
import type { Fleet } from '../core/fleet';
import { decodePath, sendError, sendJson } from './respond';
import { serveStatic } from './static-files';
import { tokensEqual } from './token';

export interface HttpHostOptions {
  api: ApiImplementation;
  events: EventBus;
  /** Full-access token. */
  token: string;
  /** Optional read-only token: may see everything, may change nothing. */
  readOnlyToken?: string;
  host?: string;
  port?: number;
  /** The built renderer (dist/renderer); when missing, the API still works and / explains how to build. */
  rendererDir?: string;
  /** Routes `POST /api/<method>?host=NAME` to a registered remote host; without it only this computer answers. */
  fleet?: Fleet;
}

export interface HttpHost {
  url: string;
  /** The URL to open: the token travels in the fragment, so it never reaches logs or Referer headers. */
  panelUrl: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  INVALID_REQUEST: 400,
  INVALID_CONFIG: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  READ_ONLY: 403,
  NOT_FOUND: 404,
  BACKUP_NOT_FOUND: 404,
  UNKNOWN_METHOD: 404,
  ALREADY_EXISTS: 409,
  UPDATE_IN_PROGRESS: 409,
  RECOVERY_FAILED: 503,
  STATE_CORRUPT: 503,
  INTERNAL: 500,
  // A call routed to a remote host (?host=) that could not be answered there.
  HOST_UNREACHABLE: 502,
  HOST_DISCONNECTED: 502,
  HOST_KEY_UNKNOWN: 502,
  HOST_KEY_CHANGED: 502,
  HOST_AUTH_FAILED: 502,
};

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function isLoopbackHost(host: string): boolean {
  // 127.x.x.x as an address only: a name like 127.attacker.example can resolve anywhere.
  return LOOPBACK_NAMES.has(host.toLowerCase()) || /^127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(host);
}

/**
 * The headless host: the panel for a browser, `POST /api/<method>`, and `GET /api/events` (SSE).
 * Thin by design (ARCHITECTURE.md §2): decode, invokeMethod, encode.
 */
export async function startHttpHost(options: HttpHostOptions): Promise<HttpHost> {
  const bindHost = options.host ?? '127.0.0.1';
  const streams = eventStreams(options.events);

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) sendJson(res, 500, { error: toErrorShape(error) });
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    const port = (server.address() as AddressInfo).port;
    const refused = refusedOrigin(req, bindHost);
    if (refused) return sendError(res, 403, refused);
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);

    if (url.pathname.startsWith('/api/')) {
      const ctx = authenticate(req, options);
      if (!ctx) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="upkeep"');
        return sendError(
          res,
          401,
          new UpkeepError(
            'UNAUTHORIZED',
            'Missing or wrong access token. Open the panel with the URL `upkeep serve` printed (it carries the token).',
          ),
        );
      }
      if (url.pathname === '/api/events') {
        if (req.method !== 'GET')
          return sendError(res, 405, new UpkeepError('INVALID_REQUEST', 'Use GET for /api/events.'));
        return streams.open(req, res);
      }
      if (req.method !== 'POST')
        return sendError(
          res,
          405,
          new UpkeepError('INVALID_REQUEST', 'API methods are called with POST and a JSON body.'),
        );
      if (!isJsonContentType(req.headers['content-type'])) {
        return sendError(
          res,
          415,
          new UpkeepError('INVALID_REQUEST', 'Send the request as Content-Type: application/json.'),
        );
      }
      const method = decodePath(url.pathname.slice('/api/'.length));
      if (method === undefined)
        return sendError(
          res,
          400,
          new UpkeepError(
            'INVALID_REQUEST',
            'The path has a malformed %-escape; call POST /api/<method> with the method name as it is.',
          ),
        );
      let body: unknown;
      try {
        body = await readJson(req);
      } catch (error) {
        // The rest of a refused body is never read: close the connection so it cannot be taken
        // for the next request on a kept-alive socket.
        res.setHeader('Connection', 'close');
        return sendError(res, 400, error);
      }
      try {
        const result = await invokeOn(url.searchParams.get('host'), method, body, ctx);
        return sendJson(res, 200, { result });
      } catch (error) {
        const shape = toErrorShape(error);
        return sendJson(res, STATUS_BY_CODE[shape.code] ?? 422, { error: shape });
      }
    }

    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendError(res, 405, new UpkeepError('INVALID_REQUEST', 'Only GET is served here.'));
    return serveStatic(options.rendererDir, url.pathname, res);
  }

  /** This computer's engine, or (`?host=NAME`) the remote host of that name. */
  function invokeOn(host: string | null, method: string, body: unknown, ctx: CallContext): Promise<unknown> {
    if (host === null) return invokeMethod(options.api, method, body, ctx);
    if (!options.fleet)
      throw new UpkeepError('INVALID_REQUEST', 'This Upkeep does not reach other hosts: call it without ?host=.');
    return options.fleet.invoke(method, body, ctx, host);
  }

  const listenPort = options.port ?? 7380;
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => reject(listenError(error, bindHost, listenPort));
    server.once('error', failed);
    server.listen(listenPort, bindHost, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const displayHost = bindHost.includes(':') ? `[${bindHost}]` : bindHost === '0.0.0.0' ? '127.0.0.1' : bindHost;
  const url = `http://${displayHost}:${port}/`;
  return {
    url,
    panelUrl: `${url}#token=${options.token}`,
    port,
    async close() {
      streams.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `GET /api/events`: every contract event to every open stream, with a keep-alive comment every 15 s. */
function eventStreams(events: EventBus): {
  open(req: http.IncomingMessage, res: http.ServerResponse): void;
  close(): void;
} {
  const sseClients = new Set<http.ServerResponse>();
  const unsubscribe = events.onAny((event, payload) => {
    if (!EVENT_NAMES.includes(event)) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const client of sseClients) client.write(frame);
  });
  return {
    open(req, res) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      sseClients.add(res);
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      req.on('close', () => {
        clearInterval(keepAlive);
        sseClients.delete(res);
      });
    },
    close() {
      unsubscribe();
      for (const client of sseClients) client.end();
      sseClients.clear();
    },
  };
}

/** Why a request is refused for where it comes from (DNS rebinding, another site), or undefined. */
function refusedOrigin(req: http.IncomingMessage, bindHost: string): UpkeepError | undefined {
  const hostHeader = req.headers.host ?? '';
  const hostName = hostHeader.replace(/:\d+$/, '');
  // DNS rebinding: on a loopback bind, only loopback names may address us.
  if (isLoopbackHost(bindHost) && !isLoopbackHost(hostName)) {
    return new UpkeepError('FORBIDDEN', 'Requests must address Upkeep by a loopback name (127.0.0.1 or localhost).');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${hostHeader}`) {
    return new UpkeepError('FORBIDDEN', 'Cross-origin requests are refused.');
  }
  if (req.headers['sec-fetch-site'] === 'cross-site') {
    return new UpkeepError('FORBIDDEN', 'Cross-site requests are refused.');
  }
  return undefined;
}

/** The caller's rights from its bearer token: full, read-only, or none (undefined). */
function authenticate(
  req: http.IncomingMessage,
  options: Pick<HttpHostOptions, 'token' | 'readOnlyToken'>,
): CallContext | undefined {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) return undefined;
  if (tokensEqual(match[1], options.token)) return { initiatedBy: 'panel', readOnly: false };
  if (options.readOnlyToken && tokensEqual(match[1], options.readOnlyToken))
    return { initiatedBy: 'panel', readOnly: true };
  return undefined;
}

/** Why the host could not listen, and what to do, for the errors a person can fix. */
function listenError(error: Error, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const details = { host, port };
  if (code === 'EADDRINUSE') {
    return new UpkeepError(
      'INVALID_REQUEST',
      `Port ${port} on ${host} is already in use (another Upkeep, or another program). Stop that program, or choose another port with --port (--port 0 picks a free one).`,
      details,
      { cause: error },
    );
  }
  if (code === 'EACCES') {
    return new UpkeepError(
      'INVALID_REQUEST',
      `Not allowed to listen on port ${port} on ${host} (ports below 1024 need administrator rights). Choose another port with --port, e.g. --port 7380.`,
      details,
      { cause: error },
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new UpkeepError(
      'INVALID_REQUEST',
      `${host} is not an address of this machine, so Upkeep cannot listen on it. Choose another with --host (127.0.0.1 by default).`,
      details,
      { cause: error },
    );
  }
  return error;
}

/** `application/json`, with parameters (`; charset=utf-8`) or none; nothing that merely starts with it. */
function isJsonContentType(header: string | undefined): boolean {
  const mediaType = (header ?? '').split(';')[0] ?? '';
  return mediaType.trim().toLowerCase() === 'application/json';
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY) throw new UpkeepError('INVALID_REQUEST', `Request body over ${MAX_BODY} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new UpkeepError('INVALID_REQUEST', `Request body over ${MAX_BODY} bytes.`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UpkeepError('INVALID_REQUEST', 'The request body is not valid JSON.');
  }
}
