import { UpkeepError } from '../../../shared/errors';
import { claimDemoHome, startDemo } from '../../core/demo';
import { serveHeadless } from '../../http/serve';
import type { CommandSpec } from '../context';
import { untilStopped } from './serve';

function portOf(value: string | boolean | string[] | undefined): number {
  const port = value === undefined ? 0 : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UpkeepError('INVALID_REQUEST', `--port must be 0-65535, got "${String(value)}".`);
  return port;
}

export const demoCommands: CommandSpec[] = [
  {
    path: ['demo'],
    localOnly: true,
    usage: 'upkeep demo [--home NEW_DIR] [--port 0] [--stop-on-stdin-close]',
    summary:
      'Try Upkeep offline: the panel on a sandbox with sample components and a local release feed (never your real data); --stop-on-stdin-close as for serve',
    options: { port: { type: 'string' }, 'stop-on-stdin-close': { type: 'boolean' } },
    async run(ctx, { values }) {
      const port = portOf(values.port);
      // Only an explicit --home names the sandbox: $UPKEEP_HOME and the default are real data.
      const demo = await startDemo(claimDemoHome({ home: typeof values.home === 'string' ? values.home : undefined }));
      let served;
      try {
        // No first-run set-up (it would check Upkeep itself against GitHub) and no scheduler: the
        // newcomer decides what runs. The samples are checked once, so their updates show at once.
        served = await serveHeadless({
          home: demo.dataDir,
          port,
          firstRun: false,
          scheduler: false,
          prepare: (services) => demo.configure(services),
        });
      } catch (error) {
        await demo.close();
        throw error;
      }
      if (ctx.json)
        ctx.out(
          JSON.stringify({ url: served.url, panel_url: served.panelUrl, home: demo.home, feed: demo.feed.apiBase }),
        );
      else {
        for (const line of demo.describe()) ctx.err(line);
        ctx.err('Stop it with Ctrl+C. Open the panel at:');
        ctx.out(served.panelUrl);
      }
      await untilStopped(values['stop-on-stdin-close'] === true);
      await served.close();
      await demo.close();
      if (!ctx.json) ctx.err(`The sandbox stays at ${demo.home}; delete it when you are done.`);
      return {};
    },
  },
];
