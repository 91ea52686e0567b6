import { ipcMain, type WebContents } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, type ApiImplementation } from '../../shared/contract';
import type { EventBus } from '../core/events';
import type { Fleet } from '../core/fleet';
import { createInvokeHandler, type IpcSender } from './ipc-handler';

/**
 * The one IPC handler: checks that the sender is our own window and page, then hands the request to
 * invokeMethod (which validates it). This is the only module that may touch ipcMain.
 */
export function registerIpc(options: {
  api: ApiImplementation;
  events: EventBus;
  isTrustedSender: (event: IpcSender) => boolean;
  targets: () => WebContents[];
  fleet?: Fleet;
}): () => void {
  ipcMain.handle(IPC_INVOKE_CHANNEL, createInvokeHandler(options));
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
