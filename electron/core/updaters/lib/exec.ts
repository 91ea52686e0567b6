import { spawn, type ChildProcess } from 'node:child_process';
import { UpkeepError } from '../../../../shared/errors';
import { spawnError } from '../../lib/spawn-error';
import type { ExecOptions, ExecResult, LogStream } from '../types';
import { LineSplitter, stripAnsi } from './text';

const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;
const MAX_CAPTURE = 4 * 1024 * 1024;
/** After SIGTERM, how long a stopped command's process group has before SIGKILL. */
const KILL_GRACE_MS = 2000;
/** Each command leads a process group of its own (not on Windows): stopping it stops what it started too. */
const OWN_GROUP = process.platform !== 'win32';

/** Signal the command and everything it started (its process group); gone already is fine. */
function signalTree(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (OWN_GROUP && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // ESRCH: the group has exited.
  }
}

/**
 * Run argv without a shell, streaming each output line (ANSI stripped) to `onLine`. Throws
 * COMMAND_FAILED on a non-zero exit unless `allowFailure`; the message quotes the last stderr lines.
 */
export function runCommand(
  argv: readonly string[],
  onLine: (line: string, stream: LogStream) => void,
  options: ExecOptions & { signal?: AbortSignal } = {},
): Promise<ExecResult> {
  const [program, ...args] = argv;
  if (!program)
    return Promise.reject(
      new UpkeepError('INVALID_CONFIG', 'Empty command: give the program to run and its arguments.'),
    );
  if (options.signal?.aborted)
    return Promise.reject(
      new UpkeepError('CANCELLED', `\`${argv.join(' ')}\` was not started: the update was cancelled.`, {
        argv: [...argv],
      }),
    );
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...(options.env ?? {}) };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    let child;
    try {
      // A group of its own also keeps a terminal's Ctrl+C from reaching the command: Upkeep cancels it, then rolls back.
      child = spawn(program, args, {
        cwd: options.cwd,
        env,
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        detached: OWN_GROUP,
      });
    } catch (error) {
      reject(spawnError(program, error, options.cwd, 'COMMAND_FAILED', { argv: [...argv] }));
      return;
    }
    let stdout = '';
    let stderr = '';
    const tail: string[] = [];
    const out = new LineSplitter((line) => {
      const clean = stripAnsi(line);
      if (!options.quiet) onLine(clean, 'stdout');
    });
    const err = new LineSplitter((line) => {
      const clean = stripAnsi(line);
      tail.push(clean);
      if (tail.length > 5) tail.shift();
      onLine(clean, 'stderr');
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      if (stdout.length < MAX_CAPTURE) stdout += d;
      out.push(d);
    });
    child.stderr.on('data', (d: string) => {
      if (stderr.length < MAX_CAPTURE) stderr += d;
      err.push(d);
    });
    let timedOut = false;
    let aborted = false;
    let killer: NodeJS.Timeout | undefined;
    const stop = (grace: number) => {
      signalTree(child, 'SIGTERM');
      killer = setTimeout(() => signalTree(child, 'SIGKILL'), grace);
      killer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop(5000);
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const onAbort = () => {
      aborted = true;
      stop(KILL_GRACE_MS);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      clearTimeout(killer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(spawnError(program, error, options.cwd, 'COMMAND_FAILED', { argv: [...argv] }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      options.signal?.removeEventListener('abort', onAbort);
      out.flush();
      err.flush();
      const exit = code ?? 128;
      if (aborted) {
        // What the command started and left running (output closed) goes with it.
        signalTree(child, 'SIGKILL');
        reject(
          new UpkeepError('CANCELLED', `\`${argv.join(' ')}\` was stopped: the update was cancelled.`, {
            argv: [...argv],
          }),
        );
        return;
      }
      if (timedOut) {
        reject(
          new UpkeepError(
            'TIMEOUT',
            `${program} did not finish within ${Math.round((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s and was stopped. Run it by hand to see why it hangs.`,
            { argv: [...argv] },
          ),
        );
        return;
      }
      if (exit !== 0 && !options.allowFailure) {
        const why = signal ? `was killed by ${signal}` : `exited with code ${exit}`;
        const last = tail
          .filter((l) => l.trim())
          .slice(-3)
          .join(' | ');
        reject(
          new UpkeepError(
            'COMMAND_FAILED',
            `\`${argv.join(' ')}\` ${why}${last ? `: ${last}` : ''}. See the update log for its full output.`,
            { argv: [...argv], exit_code: exit },
          ),
        );
        return;
      }
      resolve({ code: exit, stdout, stderr });
    });
  });
}
