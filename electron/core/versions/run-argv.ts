import { spawn } from 'node:child_process';
import { UpkeepError } from '../../../shared/errors';
import { spawnError } from '../lib/spawn-error';

export interface ArgvResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunArgvOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Output beyond this is dropped (a runaway command must not eat memory). */
  maxOutputBytes?: number;
  signal?: AbortSignal;
}

/**
 * Run a program with argv — never through a shell — and collect its output. Resolves with the exit
 * code (non-zero is not an error here: command_line checks use it as data); rejects with
 * COMMAND_FAILED when the program cannot start and TIMEOUT when it runs too long.
 */
export function runArgv(argv: readonly string[], options: RunArgvOptions = {}): Promise<ArgvResult> {
  const [program, ...args] = argv;
  if (!program)
    return Promise.reject(
      new UpkeepError('INVALID_CONFIG', 'The command is empty; give the program and its arguments as a list.'),
    );
  const timeoutMs = options.timeoutMs ?? 60_000;
  const max = options.maxOutputBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(program, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
        signal: options.signal,
      });
    } catch (error) {
      // Some failures (ENOTDIR, EACCES on the folder) are thrown at once rather than emitted.
      reject(spawnError(program, error, options.cwd, 'COMMAND_FAILED'));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    child.stdout.on('data', (c: Buffer) => {
      if (outBytes < max) out.push(c);
      outBytes += c.length;
    });
    child.stderr.on('data', (c: Buffer) => {
      if (errBytes < max) err.push(c);
      errBytes += c.length;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.name === 'AbortError') return reject(new UpkeepError('CANCELLED', `${program} was cancelled.`));
      reject(spawnError(program, error, options.cwd, 'COMMAND_FAILED'));
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      if (timedOut)
        return reject(
          new UpkeepError(
            'TIMEOUT',
            `${program} did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped.`,
            { program },
          ),
        );
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** Split an OctoPrint-style command string into argv words (quotes respected; no shell features). */
export function splitCommand(command: string | readonly string[]): string[] {
  if (typeof command !== 'string') return [...command];
  const words: string[] = [];
  let current = '';
  let quote: '"' | "'" | null = null;
  let inWord = false;
  const text = command;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote)
    throw new UpkeepError('INVALID_CONFIG', `The command ${JSON.stringify(text)} has an unclosed ${quote} quote.`);
  if (inWord) words.push(current);
  return words;
}
