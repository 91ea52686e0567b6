import type { Bridge } from '../../../shared/contract';
import { createHttpClient } from './http-client';
import { createIpcClient } from './ipc-client';
import { takeAccessToken } from './token';
import type { Client } from './types';

export { ApiError, errorFields, toErrorShape } from './api-error';
export type { Client, ConnectionState, EventHandler } from './types';

declare global {
  interface Window {
    upkeep?: Bridge;
  }
}

/** The desktop app's preload bridge when present, else the headless host over HTTP. */
export function createClient(): Client {
  if (window.upkeep) return createIpcClient(window.upkeep);
  return createHttpClient({ token: takeAccessToken() });
}
