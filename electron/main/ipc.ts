import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, invokeMethod, type ApiImplementation, type Envelope } from '../../shared/contract';
import { UpkeepError, toErrorShape } from '../../shared/errors';
import type { EventBus } from '../core/events';

/**
 * The one IPC handler: checks that the sender is our own window and page, then hands the request to
 * invokeMethod (which validates it). This is the only module that may touch ipcMain.
 */
export function registerIpc(options: {
  api: ApiImplementation;
  events: EventBus;
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
  targets: () => WebContents[];
}): () => void {
  ipcMain.handle(IPC_INVOKE_CHANNEL, async (event, method: unknown, request: unknown): Promise<Envelope<unknown>> => {
    try {
      if (!options.isTrustedSender(event)) {
        throw new UpkeepError('FORBIDDEN', 'IPC request from an unknown frame was refused.');
      }
      const result = await invokeMethod(options.api, method, request, { initiatedBy: 'panel', readOnly: false });
      return { ok: true, result };
    } catch (error) {
      return { ok: false, error: toErrorShape(error) };
    }
  });
  const unsubscribe = options.events.onAny((event, payload) => {
    for (const contents of options.targets()) {
      if (!contents.isDestroyed()) contents.send(IPC_EVENT_CHANNEL, { event, payload });
    }
  });
  return () => {
    ipcMain.removeHandler(IPC_INVOKE_CHANNEL);
    unsubscribe();
  };
}
