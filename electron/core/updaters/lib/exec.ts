import { spawn } from 'node:child_process';
import { UpkeepError } from '../../../../shared/errors';
import { spawnError } from '../../lib/spawn-error';
import type { ExecOptions, ExecResult, LogStream } from '../types';
import { LineSplitter, stripAnsi } from './text';

const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;
const MAX_CAPTURE = 4 * 1024 * 1024;

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
  if (!program) return Promise.reject(new UpkeepError('INVALID_CONFIG', 'Empty command: give the program to run and its arguments.'));
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...(options.env ?? {}) };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    let child;
    try {
      child = spawn(program, args, { cwd: options.cwd, env, shell: false, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    } catch (error) {
      reject(spawnError(program, error as NodeJS.ErrnoException, options.cwd, 'COMMAND_FAILED', { argv: [...argv] }));
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
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const onAbort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(spawnError(program, error, options.cwd, 'COMMAND_FAILED', { argv: [...argv] }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      out.flush();
      err.flush();
      const exit = code ?? 128;
      if (timedOut) {
        reject(new UpkeepError('TIMEOUT', `${program} did not finish within ${Math.round((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s and was stopped. Run it by hand to see why it hangs.`, { argv: [...argv] }));
        return;
      }
      if (exit !== 0 && !options.allowFailure) {
        const why = signal ? `was killed by ${signal}` : `exited with code ${exit}`;
        const last = tail.filter((l) => l.trim()).slice(-3).join(' | ');
        reject(new UpkeepError('COMMAND_FAILED', `\`${argv.join(' ')}\` ${why}${last ? `: ${last}` : ''}. See the update log for its full output.`, { argv: [...argv], exit_code: exit }));
        return;
      }
      resolve({ code: exit, stdout, stderr });
    });
  });
}
