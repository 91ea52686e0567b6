import { invokeMethod } from '../../shared/contract';
import { toErrorShape, type ErrorShape } from '../../shared/errors';
import { createApi } from '../../electron/core/api';
import { createServices, type Services } from '../../electron/core/services';
import { PassThrough } from 'node:stream';
import { LineSplitter, MAX_LINE_BYTES, parseServerLine } from '../../electron/core/remote/protocol';
import { serveStdio } from '../../electron/core/remote/stdio-server';
import { startHttpHost, type HttpHost } from '../../electron/http/server';

export type Outcome = { result: unknown; error?: undefined } | { error: ErrorShape; result?: undefined };

/** One way of reaching the API. The contract suite runs every case through each. */
export interface Transport {
  name: string;
  services: Services;
  call(method: string, request: unknown): Promise<Outcome>;
  close(): Promise<void>;
}

export async function inProcessTransport(home: string): Promise<Transport> {
  const services = createServices({ home, host: 'cli' });
  const api = createApi(services);
  return {
    name: 'in-process',
    services,
    async call(method, request) {
      try {
        return { result: await invokeMethod(api, method, request, { initiatedBy: 'cli', readOnly: false }) };
      } catch (error) {
        return { error: toErrorShape(error) };
      }
    },
    close: async () => {},
  };
}

export const TEST_TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuvwxyz';
export const TEST_READ_ONLY_TOKEN = 'read-only-token-0123456789abcdefghijklmnopqrstuv';

export async function httpTransport(
  home: string,
  options: { rendererDir?: string } = {},
): Promise<Transport & { host: HttpHost }> {
  const services = createServices({ home, host: 'http' });
  const host = await startHttpHost({
    api: createApi(services),
    events: services.events,
    token: TEST_TOKEN,
    readOnlyToken: TEST_READ_ONLY_TOKEN,
    port: 0,
    ...options,
  });
  return {
    name: 'http',
    services,
    host,
    async call(method, request) {
      const response = await fetch(`${host.url}api/${encodeURIComponent(method)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TEST_TOKEN}` },
        body: JSON.stringify(request),
      });
      const body = (await response.json()) as { result?: unknown; error?: ErrorShape };
      if (body.error) return { error: body.error };
      if (response.status !== 200) throw new Error(`status ${response.status} without an error body`);
      return { result: body.result };
    },
    close: () => host.close(),
  };
}

/** `serve --stdio`'s server over in-memory pipes: the same framing and validation a remote host's child uses. */
export async function stdioTransport(home: string): Promise<Transport> {
  const services = createServices({ home, host: 'cli' });
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  const server = serveStdio({ api: createApi(services), events: services.events, input: toServer, output: fromServer });
  const pending = new Map<string, (outcome: Outcome) => void>();
  const lines = new LineSplitter(
    MAX_LINE_BYTES,
    (line) => {
      const message = parseServerLine(line);
      if (message?.type !== 'response' || message.id === null) return;
      pending.get(message.id)?.(message.ok ? { result: message.result } : { error: message.error });
      pending.delete(message.id);
    },
    () => undefined,
  );
  fromServer.on('data', (chunk: Buffer) => lines.push(chunk));
  let next = 1;
  return {
    name: 'stdio',
    services,
    call(method, request) {
      const id = String(next++);
      return new Promise<Outcome>((resolve) => {
        pending.set(id, resolve);
        toServer.write(`${JSON.stringify({ type: 'request', id, method, params: request })}\n`);
      });
    },
    close: async () => {
      toServer.end();
      await server.done;
    },
  };
}
