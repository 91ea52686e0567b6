import { createApi } from '../../core/api';
import { recoveryNotes } from '../../core/recovery';
import { serveStdio } from '../../core/remote/stdio-server';
import { startWebhooks } from '../../core/schedule/wiring';
import { createServices } from '../../core/services';
import { startBackground } from '../../core/startup';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * `upkeep serve --stdio`: the contract over stdin/stdout for the client that started this process
 * (usually over ssh). Stdout carries protocol lines only; logs go to stderr.
 *
 * A client that goes away — its ssh killed, the network gone — must never cut an update short: the
 * end of stdin, SIGHUP (a session ending), SIGINT and SIGTERM all stop new requests, and the process
 * exits only once what runs has finished. Writes to a closed stdout or stderr (EPIPE) are dropped.
 */
export async function serveOverStdio(home: string): Promise<void> {
  const quiet = () => undefined;
  process.stdout.on('error', quiet);
  process.stderr.on('error', quiet);
  // Ignored: a hang-up says the client left, which stdin's end says as well; work goes on.
  process.on('SIGHUP', quiet);
  const services = createServices({ home, host: 'cli' });
  // Hello first: every method waits for the start-up recovery anyway (createApi), so the client
  // hears from Upkeep at once and sees what recovery says below.
  const server = serveStdio({
    api: createApi(services),
    events: services.events,
    input: process.stdin,
    output: process.stdout,
  });
  for (const signal of STOP_SIGNALS) process.on(signal, server.stop);
  process.stdin.resume();
  const background = await startBackground(services, {
    firstRun: false,
    scheduler: false,
    onRecoveryFailed: (error) => void process.stderr.write(`upkeep: ${error.message} [${error.code}]\n`),
  }).catch((error: unknown) => {
    server.stop();
    process.stdin.destroy();
    throw error;
  });
  // What a killed process left and this start finished, said as the CLI says it (the client shows stderr).
  for (const note of recoveryNotes(background.recovery)) process.stderr.write(`upkeep: ${note}\n`);
  const notifier = startWebhooks(services, { delivery: { timeoutMs: 5_000, retryDelaysMs: [1_000, 3_000] } });
  await server.done;
  for (const signal of STOP_SIGNALS) process.off(signal, server.stop);
  process.stdin.destroy();
  await notifier.idle();
  await notifier.stop();
  await background.stop();
}
