import type { ParseArgsConfig } from 'node:util';
import { UpkeepError } from '../../shared/errors';
import {
  invokeMethod,
  type EventMap,
  type EventName,
  type MethodName,
  type RequestOf,
  type ResponseOf,
} from '../../shared/contract';
import { createApi } from '../core/api';
import { resolveHome } from '../core/config/home';
import { findHost } from '../core/remote/hosts';
import { connectHost } from '../core/remote/pool';
import type { StdioConnection } from '../core/remote/stdio-connection';
import { recoverInterrupted, recoveryNotes } from '../core/recovery';
import { startWebhooks } from '../core/schedule/wiring';
import { installHostLog } from '../core/host-log';
import { createServices, type Services } from '../core/services';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CliContext {
  home: string;
  json: boolean;
  /** Services are built lazily: `--help` and usage errors never touch the data directory. */
  services(): Services;
  call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>;
  /** The engine's events, from this process or, with --on, from the host's. */
  onEvent<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
  /** With `--on NAME`: the host every call goes to (over ssh). */
  remote?: string;
  /** Close what the command opened (the connection to a remote host). */
  close(): Promise<void>;
  out(text: string): void;
  err(text: string): void;
}

export interface CommandResult {
  /** The one JSON document printed with --json. */
  json?: unknown;
  /** What a person reads without --json. */
  text?: string;
  /** Exit code; defaults to 0. */
  exitCode?: number;
}

export interface CommandSpec {
  /** Words that select the command, e.g. ['component', 'add']. */
  path: string[];
  /** Runs on this machine only: refused with `--on` (serving, the host registry, the demo). */
  localOnly?: boolean;
  usage: string;
  summary: string;
  options?: OptionSpec;
  run(
    ctx: CliContext,
    args: { positionals: string[]; values: Record<string, string | boolean | string[] | undefined> },
  ): Promise<CommandResult>;
}

export function createCliContext(homeFlag: string | undefined, json: boolean, on?: string): CliContext {
  const home = resolveHome({ flag: homeFlag });
  if (on !== undefined) return createRemoteContext(home, json, on);
  let services: Services | undefined;
  // The core's log goes to <home>/logs/upkeep.log only: stdout carries --json, stderr the notes below.
  const getServices = () => {
    if (services) return services;
    services = createServices({ home, host: 'cli' });
    installHostLog(services);
    return services;
  };
  let api: ReturnType<typeof createApi> | undefined;
  let noted = false;
  return {
    home,
    json,
    services: getServices,
    async call(method, request) {
      api ??= createApi(getServices());
      if (!noted) {
        // The API finishes what a killed process left before it answers; say what that was, and
        // what a live process is doing now, on stderr (stdout keeps the one JSON document).
        noted = true;
        for (const note of recoveryNotes(await recoverInterrupted(getServices()))) err(`upkeep: ${note}`);
      }
      return (await invokeMethod(api, method, request, { initiatedBy: 'cli', readOnly: false })) as ResponseOf<
        typeof method
      >;
    },
    onEvent: (event, listener) => getServices().events.on(event, listener),
    close: async () => undefined,
    out,
    err,
  };
}

const out = (text: string) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
const err = (text: string) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

/**
 * `--on NAME`: every contract call goes to the host's Upkeep over ssh (`serve --stdio`), so a command
 * prints what it prints locally. The host's own logs (recovery notes …) come through on stderr.
 */
function createRemoteContext(home: string, json: boolean, name: string): CliContext {
  let connection: Promise<StdioConnection> | undefined;
  const open = () =>
    (connection ??= findHost(home, name).then((host) =>
      connectHost(host, { onStderr: (h, line) => err(`[${h}] ${line}`) }),
    ));
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let subscribed = false;
  const subscribe = (c: StdioConnection) => {
    if (subscribed) return;
    subscribed = true;
    c.onEvent((event, payload) => {
      for (const listener of listeners.get(event) ?? []) listener(payload as never);
    });
  };
  return {
    home,
    json,
    remote: name,
    services() {
      throw new UpkeepError(
        'INVALID_REQUEST',
        `This command runs on this machine only; it cannot be used with --on ${name}.`,
      );
    },
    async call(method, request) {
      const c = await open();
      subscribe(c);
      return c.call(method, request);
    },
    onEvent(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: never) => void);
      listeners.set(event, set);
      return () => void set.delete(listener as (payload: never) => void);
    },
    async close() {
      if (connection) await (await connection.catch(() => undefined))?.close();
    },
    out,
    err,
  };
}

/** A plain-text table for people (the --json output is for programs). */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

/**
 * Run a command that may update components with the configured webhooks listening, as the long-lived
 * hosts do, and wait for their deliveries before the process ends (short retries: it is about to exit).
 */
export async function withWebhooks<T>(ctx: CliContext, run: () => Promise<T>): Promise<T> {
  // On a remote host its own Upkeep delivers them (`serve --stdio` listens as the long-lived hosts do).
  if (ctx.remote !== undefined) return run();
  const notifier = startWebhooks(ctx.services(), { delivery: { timeoutMs: 5_000, retryDelaysMs: [1_000, 3_000] } });
  try {
    return await run();
  } finally {
    await notifier.idle();
    await notifier.stop();
  }
}
