import type { ParseArgsConfig } from 'node:util';
import { invokeMethod, type MethodName, type RequestOf, type ResponseOf } from '../../shared/contract';
import { createApi } from '../core/api';
import { resolveHome } from '../core/config/home';
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
  usage: string;
  summary: string;
  options?: OptionSpec;
  run(ctx: CliContext, args: { positionals: string[]; values: Record<string, string | boolean | string[] | undefined> }): Promise<CommandResult>;
}

export function createCliContext(homeFlag: string | undefined, json: boolean): CliContext {
  const home = resolveHome({ flag: homeFlag });
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
  const err = (text: string) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
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
      return (await invokeMethod(api, method, request, { initiatedBy: 'cli', readOnly: false })) as ResponseOf<typeof method>;
    },
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
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
  const notifier = startWebhooks(ctx.services(), { delivery: { timeoutMs: 5_000, retryDelaysMs: [1_000, 3_000] } });
  try {
    return await run();
  } finally {
    await notifier.idle();
    await notifier.stop();
  }
}
