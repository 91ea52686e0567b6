import { UpkeepError } from '../../../shared/errors';
import { expandHome } from '../versions/installed';
import { runArgv, splitCommand } from '../versions/run-argv';
import { defineChecker } from './types';

/**
 * OctoPrint's command_line contract: run the command (argv, never a shell); exit 0 = update
 * available, exit 1 = up to date, anything else = the check failed. The last stdout line is the
 * remote version, the line before it the local one.
 */
export const commandLineChecker = defineChecker<'command_line'>({
  type: 'command_line',
  defaultCompare: 'unequal',
  readsInstalled: true,

  async check(ctx) {
    const argv = splitCommand(ctx.config.command).map(expandHome);
    const cwd = ctx.config.folder ? expandHome(ctx.config.folder) : undefined;
    const result = await runArgv(argv, { cwd, env: ctx.env, timeoutMs: 120_000, signal: ctx.signal });
    if (result.exitCode !== 0 && result.exitCode !== 1) {
      const said = result.stderr.trim().split('\n').filter(Boolean).pop();
      throw new UpkeepError(
        'CHECK_FAILED',
        `${argv[0]} exited with ${result.exitCode ?? result.signal}${said ? ` (${said})` : ''}. A command_line check exits 0 when an update is available and 1 when not.`,
        { exit_code: result.exitCode },
      );
    }
    const lines = result.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    const remote = lines.at(-1) ?? null;
    const local = lines.length >= 2 ? (lines.at(-2) ?? null) : ctx.installed;
    const update = result.exitCode === 0;
    const shown = (v: string | null) => v ?? 'unknown';
    return {
      installed: local,
      latest: remote,
      decision: {
        update,
        explanation: update
          ? `${shown(remote)} available (installed ${shown(local)}), says ${argv[0]}`
          : `${shown(local)} is current, says ${argv[0]}`,
      },
      target: remote ? { version: remote } : null,
    };
  },
});
