import { request } from 'undici';
import { UpkeepError } from '../../../shared/errors';
import type { ComponentConfig } from '../../../shared/schemas/component';
import type { ExecOptions, ExecResult } from '../updaters/types';

type Health = NonNullable<ComponentConfig['health']>;

/** Wait between attempts; a cancel ends the wait at once. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The component's health check after a restart: an HTTP URL polled until it answers as expected
 * (the expected status, else any 2xx/3xx), or a command that must exit 0 — within `timeout` seconds.
 */
export async function checkHealth(
  health: Health,
  exec: (argv: readonly string[], options?: ExecOptions) => Promise<ExecResult>,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const timeoutMs = (health.timeout ?? 30) * 1000;
  if ('command' in health) {
    const result = await exec(health.command, { timeoutMs, allowFailure: true });
    if (result.code !== 0) {
      throw new UpkeepError(
        'HEALTH_CHECK_FAILED',
        `The health check \`${health.command.join(' ')}\` exited with code ${result.code}. The update was not accepted; see the log for its output.`,
      );
    }
    log('health check command passed');
    return;
  }
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (let attempt = 1; ; attempt++) {
    const left = deadline - Date.now();
    try {
      const response = await request(health.url, {
        method: 'GET',
        headersTimeout: Math.max(500, Math.min(left, 10_000)),
        bodyTimeout: Math.max(500, Math.min(left, 10_000)),
        signal,
      });
      await response.body.dump();
      const ok =
        health.expect_status !== undefined
          ? response.statusCode === health.expect_status
          : response.statusCode >= 200 && response.statusCode < 400;
      if (ok) {
        log(`health check ${health.url} answered ${response.statusCode}`);
        return;
      }
      last = `HTTP ${response.statusCode}${health.expect_status !== undefined ? ` (expected ${health.expect_status})` : ''}`;
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      last = e.code ?? (e.cause as NodeJS.ErrnoException | undefined)?.code ?? e.message;
    }
    if (Date.now() + 1000 > deadline || signal.aborted) break;
    if (attempt === 1 || attempt % 5 === 0)
      log(`health check ${health.url}: ${last}; retrying until ${Math.round(timeoutMs / 1000)} s have passed`);
    await pause(1000, signal);
  }
  throw new UpkeepError(
    'HEALTH_CHECK_FAILED',
    `The health check ${health.url} did not pass within ${Math.round(timeoutMs / 1000)} s (last: ${last}). The update was not accepted.`,
  );
}
