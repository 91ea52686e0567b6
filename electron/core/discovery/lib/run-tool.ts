import { spawn } from 'node:child_process';
import { UpkeepError } from '../../../../shared/errors';
import { spawnError } from '../../lib/spawn-error';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Stop the tool after this long (default 2 minutes: `pip list` on a big interpreter is slow). */
  timeoutMs?: number;
  /** Cap on captured stdout; a listing larger than this is refused rather than held in memory. */
  maxStdout?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_STDOUT = 32 * 1024 * 1024;

/**
 * Run a discovery tool (npm, python, git) as argv, never through a shell, and capture its output.
 * Resolves with any exit code: each source decides what a non-zero exit means. Rejects only when the
 * program cannot be started (NOT_FOUND), runs too long (TIMEOUT) or prints too much (RESPONSE_TOO_LARGE).
 */
export function runTool(argv: readonly string[], options: ToolOptions = {}): Promise<ToolResult> {
  const [program, ...args] = argv;
  if (!program) return Promise.reject(new UpkeepError('INVALID_REQUEST', 'Empty command: give the program to run.'));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxStdout = options.maxStdout ?? DEFAULT_MAX_STDOUT;
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...(options.env ?? {}) })) if (v !== undefined) env[k] = v;
    let child;
    try {
      child = spawn(program, args, {
        cwd: options.cwd,
        env,
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      reject(spawnError(program, error, options.cwd, 'NOT_FOUND', { argv: [...argv] }));
      return;
    }
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() =>
        reject(
          new UpkeepError(
            'TIMEOUT',
            `\`${argv.join(' ')}\` did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped. Run it by hand to see why it hangs.`,
            { argv: [...argv] },
          ),
        ),
      );
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxStdout) {
        child.kill('SIGKILL');
        finish(() =>
          reject(
            new UpkeepError(
              'RESPONSE_TOO_LARGE',
              `\`${argv.join(' ')}\` printed more than ${Math.round(maxStdout / 1048576)} MiB; Upkeep stopped reading it.`,
              { argv: [...argv] },
            ),
          ),
        );
        return;
      }
      out.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (err.length < 64 * 1024) err += d;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish(() => reject(spawnError(program, error, options.cwd, 'NOT_FOUND', { argv: [...argv] })));
    });
    child.on('close', (code, signal) => {
      finish(() =>
        resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: err }),
      );
    });
  });
}

/** The last meaningful stderr lines of a tool, for an error message. */
export function stderrTail(stderr: string, lines = 3): string {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^npm (warn|notice)/i.test(l))
    .slice(-lines)
    .join(' | ');
}
