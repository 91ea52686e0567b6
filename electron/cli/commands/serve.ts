import { UpkeepError } from '../../../shared/errors';
import { homeLayout } from '../../core/config/home';
import { serveHeadless } from '../../http/serve';
import { loadOrCreateToken } from '../../http/token';
import type { CommandSpec } from '../context';
import { serveOverStdio } from './serve-stdio';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Until a stop signal arrives (a terminal's Ctrl-C may deliver SIGINT twice: from the terminal and
 * from a parent passing it on; every one is taken, none ends the process before the host closes)
 * or, with `stdin`, until stdin ends: a parent that runs the host holds the other end of that pipe,
 * and the system closes it however the parent ends, SIGKILL included.
 */
export function untilStopped(stdin: boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      if (stdin) process.stdin.destroy();
      resolve();
    };
    for (const signal of STOP_SIGNALS) process.on(signal, stop);
    if (stdin) {
      process.stdin.on('end', stop);
      process.stdin.on('error', stop);
      process.stdin.resume();
    }
  });
}

export const serveCommands: CommandSpec[] = [
  {
    path: ['serve'],
    localOnly: true,
    usage:
      'upkeep serve [--host 127.0.0.1] [--port 7380] [--print-readonly-token] [--stop-on-stdin-close] | upkeep serve --stdio',
    summary:
      'Serve the panel and API over HTTP (prints the panel URL with its access token); --stop-on-stdin-close: stop when stdin ends (for a parent process, as `npm start` runs it); --stdio: the API as JSON lines on stdin/stdout, for `upkeep --on HOST` over ssh',
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'print-readonly-token': { type: 'boolean' },
      'stop-on-stdin-close': { type: 'boolean' },
      stdio: { type: 'boolean' },
    },
    async run(ctx, { values }) {
      if (values.stdio === true) {
        await serveOverStdio(ctx.home);
        return {};
      }
      if (values['print-readonly-token']) {
        // The second token: may call every method that only reads; the rest answer FORBIDDEN.
        const token = await loadOrCreateToken(homeLayout(ctx.home).httpTokenReadOnly);
        ctx.out(ctx.json ? JSON.stringify({ read_only_token: token }) : token);
        return {};
      }
      const port = values.port === undefined ? 7380 : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UpkeepError('INVALID_REQUEST', `--port must be 0-65535, got "${String(values.port)}".`);
      const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
      const served = await serveHeadless({ home: ctx.home, host, port });
      if (ctx.json) ctx.out(JSON.stringify({ url: served.url, panel_url: served.panelUrl, home: ctx.home }));
      else {
        ctx.err(`Upkeep is serving ${ctx.home} on ${served.url}`);
        if (host !== '127.0.0.1' && host !== 'localhost')
          ctx.err('Warning: listening beyond this machine; anyone who can reach it still needs the token.');
        ctx.err('Open the panel at:');
        ctx.out(served.panelUrl);
      }
      await untilStopped(values['stop-on-stdin-close'] === true);
      await served.close();
      return {};
    },
  },
];
