import type { Api, Bridge, CallTarget, Envelope } from '../../../shared/contract';
import { EVENT_NAMES } from '../../../shared/contract/events';
import { ApiError } from './api-error';
import type { Client, EventHandler } from './types';

/** The desktop app: the preload's bridge. Each call resolves to an envelope, unwrapped here. */
export function createIpcClient(bridge: Bridge): Client {
  const apiFor = (host: string | null) =>
    new Proxy({} as Api, {
      get(_target, name) {
        if (typeof name !== 'string') return undefined;
        return async (request: unknown) => {
          // One place where a method's name picks its function: the request is checked by the engine.
          const call = (
            bridge as unknown as Record<
              string,
              ((r: unknown, target?: CallTarget) => Promise<Envelope<unknown>>) | undefined
            >
          )[name];
          if (typeof call !== 'function')
            throw new ApiError({ code: 'UNKNOWN_METHOD', message: `This version of Upkeep does not offer "${name}".` });
          const envelope = await (host === null ? call(request ?? {}) : call(request ?? {}, { host }));
          if (envelope.ok) return envelope.result;
          throw new ApiError(envelope.error);
        };
      },
    });
  const api = apiFor(null);
  return {
    api,
    forHost: (host) => (host === null ? api : apiFor(host)),
    transport: 'ipc',
    subscribe(handler: EventHandler, onState) {
      onState?.('open');
      const offs = EVENT_NAMES.map((event) => bridge.on(event, (payload) => handler(event, payload)));
      return () => offs.forEach((off) => off());
    },
  };
}
