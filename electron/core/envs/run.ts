import { UpkeepError } from '../../../shared/errors';
import { runArgv } from '../versions/run-argv';

/** How environment helpers run a tool: argv only, never a shell; the updater passes its logged exec. */
export type EnvRun = (
  argv: readonly string[],
  options?: { cwd?: string; env?: Record<string, string | undefined> },
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** A quiet runner for checks: output collected, non-zero exits returned as data. */
export function quietRun(baseEnv: NodeJS.ProcessEnv, signal?: AbortSignal, timeoutMs = 10 * 60_000): EnvRun {
  return async (argv, options = {}) => {
    const env: NodeJS.ProcessEnv = { ...baseEnv, ...(options.env ?? {}) };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const r = await runArgv(argv, {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env,
      timeoutMs,
      maxOutputBytes: 64 * 1024 * 1024,
      ...(signal ? { signal } : {}),
    });
    return { code: r.exitCode ?? 128, stdout: r.stdout, stderr: r.stderr };
  };
}

/** Run and require exit 0; the error names the command and quotes stderr's last line. */
export async function runOk(
  run: EnvRun,
  argv: readonly string[],
  options?: Parameters<EnvRun>[1],
  hint = '',
): Promise<string> {
  const r = await run(argv, options);
  if (r.code !== 0) {
    const last = r.stderr.trim().split('\n').filter(Boolean).slice(-2).join(' | ');
    throw new UpkeepError(
      'COMMAND_FAILED',
      `\`${argv.join(' ')}\` exited with code ${r.code}${last ? `: ${last}` : ''}.${hint ? ` ${hint}` : ''}`,
      { argv: [...argv], exit_code: r.code },
    );
  }
  return r.stdout;
}
