import type { IpcMainInvokeEvent } from 'electron';
import { invokeMethod, type ApiImplementation, type Envelope } from '../../shared/contract';
import type { Fleet } from '../core/fleet';
import { UpkeepError, toErrorShape } from '../../shared/errors';

/** What the IPC sender check looks at: the calling contents and the URL of the calling frame. */
export type IpcSender = Pick<IpcMainInvokeEvent, 'sender'> & { senderFrame?: { url: string } | null };

/** Only our own window's top-level page may call the API (any #fragment aside). */
export function isTrustedSender(event: IpcSender, trusted: { contents: unknown; url: string }): boolean {
  const url = event.senderFrame?.url?.split('#')[0];
  return event.sender === trusted.contents && url === trusted.url;
}

/**
 * The logic behind the one IPC handler, kept free of `ipcMain` so it can be exercised without
 * Electron: refuse unknown senders, then invokeMethod (which validates), errors as data.
 */
export function createInvokeHandler(options: {
  api: ApiImplementation;
  isTrustedSender: (event: IpcSender) => boolean;
  fleet?: Fleet;
}) {
  return async (event: IpcSender, method: unknown, request: unknown, host?: unknown): Promise<Envelope<unknown>> => {
    try {
      if (!options.isTrustedSender(event)) {
        throw new UpkeepError('FORBIDDEN', 'IPC request from an unknown frame was refused.');
      }
      const ctx = { initiatedBy: 'panel', readOnly: false } as const;
      // A call that names a host (the bridge's second argument) goes to that host.
      if (host !== undefined && host !== null) {
        if (typeof host !== 'string' || !options.fleet)
          throw new UpkeepError('INVALID_REQUEST', 'The host of a call must be a host name from listHosts.');
        return { ok: true, result: await options.fleet.invoke(method, request, ctx, host) };
      }
      const result = await invokeMethod(options.api, method, request, ctx);
      return { ok: true, result };
    } catch (error) {
      return { ok: false, error: toErrorShape(error) };
    }
  };
}
