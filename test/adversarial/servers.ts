import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

/**
 * Small misbehaving servers for the download cases the shared fixtures do not model: one byte
 * at a time, a reset halfway, an https origin. Real sockets on 127.0.0.1, closed after use.
 */
export interface Served {
  origin: string;
  /** Connections (requests) seen. */
  hits: number;
  close(): Promise<void>;
}

type Answer = (req: http.IncomingMessage, res: http.ServerResponse, hit: number) => void | Promise<void>;

async function listen(server: http.Server | https.Server, scheme: 'http' | 'https'): Promise<Served> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const served: Served = {
    origin: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: 0,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return served;
}

export async function serve(answer: Answer): Promise<Served> {
  const box: { served?: Served } = {};
  const server = http.createServer((req, res) => {
    const served = box.served as Served;
    served.hits++;
    void Promise.resolve(answer(req, res, served.hits)).catch(() => res.destroy());
  });
  box.served = await listen(server, 'http');
  return box.served;
}

/** A self-signed certificate for 127.0.0.1, made with the openssl CLI. */
export function selfSignedCert(dir: string): { key: Buffer; cert: Buffer } {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

export async function serveHttps(tls: { key: Buffer; cert: Buffer }, answer: Answer): Promise<Served> {
  const box: { served?: Served } = {};
  const server = https.createServer(tls, (req, res) => {
    const served = box.served as Served;
    served.hits++;
    void Promise.resolve(answer(req, res, served.hits)).catch(() => res.destroy());
  });
  box.served = await listen(server, 'https');
  return box.served;
}

/** Write `body` one byte every `intervalMs` until done or the client leaves. */
export async function trickle(res: http.ServerResponse, body: Buffer, intervalMs: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
  let open = true;
  res.on('close', () => (open = false));
  for (let i = 0; i < body.length && open; i++) {
    res.write(body.subarray(i, i + 1));
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  if (open) res.end();
}

/** Write an endless body (no length) until the client goes away. */
export async function endless(res: http.ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let open = true;
  res.on('close', () => (open = false));
  while (open && !res.destroyed) {
    if (!res.write(chunk))
      await new Promise<void>((resolve) => {
        // Whichever comes first removes the other: a 'close' listener left per wait piled up past
        // ten on a long body (MaxListenersExceededWarning).
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      });
  }
}

/** Send the first `bytes` of `body` under its full Content-Length, then reset the connection. */
export function resetAfter(res: http.ServerResponse, body: Buffer, bytes: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
  res.write(body.subarray(0, bytes), () => res.socket?.resetAndDestroy());
}
