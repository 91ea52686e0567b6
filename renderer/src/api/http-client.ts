import type { Api, EventMap, EventName } from '../../../shared/contract';
import { isRecord } from '../../../shared/guards';
import { EVENT_NAMES } from '../../../shared/contract/events';
import { ApiError, toErrorShape } from './api-error';
import type { Client, ConnectionState, EventHandler } from './types';

interface HttpClientOptions {
  /** Base URL of the host, e.g. `http://127.0.0.1:7380/`; defaults to the page's origin. */
  baseUrl?: string;
  token: string | null;
}

/** The headless host: `POST /api/<method>` with a bearer token, events over SSE read with fetch. */
export function createHttpClient(options: HttpClientOptions): Client {
  const base = new URL(options.baseUrl ?? '/', window.location.href);
  const headers = (extra: Record<string, string> = {}): Record<string, string> =>
    options.token ? { ...extra, Authorization: `Bearer ${options.token}` } : extra;

  async function call(method: string, request: unknown, host: string | null): Promise<unknown> {
    let response: Response;
    const url = new URL(`api/${encodeURIComponent(method)}`, base);
    if (host !== null) url.searchParams.set('host', host);
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: headers({ 'Content-Type': 'application/json' }),
        body: JSON.stringify(request ?? {}),
      });
    } catch (error) {
      throw new ApiError({
        code: 'NETWORK',
        message: `Could not reach Upkeep (${error instanceof Error ? error.message : String(error)}). Is \`upkeep serve\` still running?`,
      });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new ApiError({ code: 'INTERNAL', message: `Upkeep answered ${response.status} without a JSON body.` });
    }
    if (isRecord(body) && isRecord(body.error)) throw new ApiError(toErrorShape(body.error));
    if (!response.ok) throw new ApiError({ code: 'INTERNAL', message: `Upkeep answered ${response.status}.` });
    return isRecord(body) ? body.result : undefined;
  }

  const apiFor = (host: string | null) =>
    new Proxy({} as Api, {
      get(_target, name) {
        if (typeof name !== 'string' || name === 'then') return undefined;
        return (request: unknown) => call(name, request, host);
      },
    });
  const api = apiFor(null);

  function subscribe(handler: EventHandler, onState?: (state: ConnectionState) => void): () => void {
    const controller = new AbortController();
    let attempt = 0;
    let stopped = false;

    const run = async (): Promise<void> => {
      while (!stopped) {
        // A retry keeps the state the last attempt ended in (reconnecting, or refused).
        if (attempt === 0) onState?.('connecting');
        let refused = false;
        try {
          const response = await fetch(new URL('api/events', base), {
            headers: headers({ Accept: 'text/event-stream' }),
            signal: controller.signal,
            cache: 'no-store',
          });
          refused = response.status === 401;
          if (!response.ok || !response.body) throw new Error(`events answered ${response.status}`);
          attempt = 0;
          onState?.('open');
          await readEventStream(response.body, (event, data) => {
            let payload: unknown;
            try {
              payload = data === '' ? {} : JSON.parse(data);
            } catch {
              return;
            }
            // The payload is the engine's own event, as sent; an event this panel does not know is skipped.
            if (isEventName(event)) handler(event, payload as EventMap[EventName]);
          });
        } catch {
          if (stopped) return;
        }
        if (stopped) return;
        // Back off: 0.5 s, 1 s, 2 s … up to 15 s, with jitter so many panels do not reconnect in step.
        attempt += 1;
        const delay = Math.min(15_000, 500 * 2 ** Math.min(attempt - 1, 5)) * (0.75 + Math.random() * 0.5);
        onState?.(refused ? 'refused' : 'reconnecting');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    };
    void run();
    return () => {
      stopped = true;
      controller.abort();
    };
  }

  return { api, forHost: (host) => (host === null ? api : apiFor(host)), subscribe, transport: 'http' };
}

/** Parse a text/event-stream body (WHATWG rules for `event:` and `data:` fields) until it ends. */
export async function readEventStream(
  body: ReadableStream<BufferSource>,
  onEvent: (event: string, data: string) => void,
): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) onEvent(event, data.join('\n'));
        event = 'message';
        data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
    }
  }
}

function isEventName(name: string): name is EventName {
  return EVENT_NAMES.some((known) => known === name);
}
