import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { EventName, MethodName, RequestOf, ResponseOf } from '../../../shared/contract';
import { UpkeepError, type ErrorShape } from '../../../shared/errors';
import { LineSplitter, MAX_LINE_BYTES, PROTOCOL_VERSION, parseServerLine, type Hello } from './protocol';

export type { Hello } from './protocol';
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'failed';

export interface StdioConnectionOptions {
  /** The program and its arguments (no shell): `ssh … serve --stdio`, or node and the CLI for a local child. */
  argv: string[];
  env?: NodeJS.ProcessEnv;
  /** The host's name, for messages. */
  name: string;
  /**
   * Why the child ended before its hello (ssh: host key, authentication, unreachable). Gets the
   * child's stderr and exit code; the default says HOST_UNREACHABLE with the last stderr lines.
   */
  classify?: (failure: ChildFailure) => Promise<UpkeepError> | UpkeepError;
  /** Each line the child writes on stderr (its logs, ssh's messages). */
  onStderr?: (line: string) => void;
  /** How long to wait for the hello (default 30 s). */
  connectTimeoutMs?: number;
}

export interface ChildFailure {
  name: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The child could not be started at all (ENOENT …). */
  spawnError?: NodeJS.ErrnoException;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: UpkeepError) => void;
}

type EventCallback = (event: EventName, payload: unknown) => void;
type StateCallback = (state: ConnectionState) => void;
/** Keep the last few KiB of stderr: enough for ssh's explanation, never unbounded. */
const STDERR_KEEP = 16 * 1024;

/**
 * A client for `upkeep serve --stdio` run as a child process. One child at a time; a call after the
 * child went away starts a new one (reconnect on demand). Calls open when it goes away are rejected
 * with HOST_DISCONNECTED — what they asked for may still be running there (an update runs to its end),
 * so read its outcome after reconnecting (getStatus, listHistory).
 */
export class StdioConnection {
  private child: ChildProcessWithoutNullStreams | undefined;
  private connecting: Promise<Hello> | undefined;
  private hello: Hello | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly eventListeners = new Set<EventCallback>();
  private readonly stateListeners = new Set<StateCallback>();
  private nextId = 1;
  private current: ConnectionState = 'idle';
  private closed = false;

  constructor(private readonly opts: StdioConnectionOptions) {}

  get state(): ConnectionState {
    return this.current;
  }

  /** The child's process id while one runs (the ssh client, for a remote host). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last hello (remote version and hostname), once connected. */
  get info(): Hello | undefined {
    return this.hello;
  }

  onState(cb: StateCallback): () => void {
    this.stateListeners.add(cb);
    return () => void this.stateListeners.delete(cb);
  }

  onEvent(cb: EventCallback): () => void {
    this.eventListeners.add(cb);
    return () => void this.eventListeners.delete(cb);
  }

  connect(): Promise<Hello> {
    if (this.current === 'connected' && this.hello) return Promise.resolve(this.hello);
    this.closed = false;
    this.connecting ??= this.start().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  async call<M extends MethodName>(method: M, params: RequestOf<M>): Promise<ResponseOf<M>> {
    await this.connect();
    const child = this.child;
    if (!child) throw this.dropError();
    const id = String(this.nextId++);
    const result = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    child.stdin.write(`${JSON.stringify({ type: 'request', id, method, params })}\n`);
    return (await result) as ResponseOf<M>;
  }

  /**
   * End the child's stdin and wait for it to exit; pending calls are rejected. A server still busy
   * (an update running there) is not waited for past `graceMs`: the child (the ssh client) is then
   * stopped, and the work goes on at the other end, which answers for it after the next connect.
   */
  async close(graceMs = 5_000): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child) {
      this.setState('idle');
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGTERM'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private setState(state: ConnectionState): void {
    if (state === this.current) return;
    this.current = state;
    for (const cb of [...this.stateListeners]) {
      try {
        cb(state);
      } catch {
        // A listener's mistake never breaks the connection.
      }
    }
  }

  private start(): Promise<Hello> {
    const [program, ...args] = this.opts.argv;
    if (!program)
      return Promise.reject(new UpkeepError('INVALID_REQUEST', `Host "${this.opts.name}" has no command to run.`));
    this.setState('connecting');
    return new Promise<Hello>((resolve, reject) => {
      let stderr = '';
      let greeted = false;
      let spawnError: NodeJS.ErrnoException | undefined;
      const child = spawn(program, args, { env: this.opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
      this.child = child;
      const timeoutMs = this.opts.connectTimeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        stderr += `\nNo answer from Upkeep within ${Math.round(timeoutMs / 1000)} s.`;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdin.on('error', () => undefined);
      const errLines = new LineSplitter(
        64 * 1024,
        (line) => this.opts.onStderr?.(line),
        () => undefined,
      );
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
        errLines.push(chunk);
      });
      const lines = new LineSplitter(
        MAX_LINE_BYTES,
        (line) => {
          const message = parseServerLine(line);
          if (!message) return; // Not a protocol line (a login banner, a stray print): skipped.
          if (message.type === 'hello') {
            if (greeted) return;
            greeted = true;
            clearTimeout(timer);
            if (message.protocol !== PROTOCOL_VERSION) {
              child.stdin.end();
              reject(
                new UpkeepError(
                  'UNSUPPORTED',
                  `Upkeep ${message.upkeep} on "${this.opts.name}" speaks protocol ${message.protocol}, this one ${PROTOCOL_VERSION}: install the same Upkeep version on both.`,
                  { host: this.opts.name, remote_version: message.upkeep },
                ),
              );
              return;
            }
            this.hello = message;
            this.setState('connected');
            resolve(message);
          } else if (message.type === 'response') {
            this.settle(message.id, message.ok ? { result: message.result } : { error: message.error });
          } else {
            for (const cb of [...this.eventListeners]) {
              try {
                cb(message.event, message.payload);
              } catch {
                // A listener's mistake never breaks the connection.
              }
            }
          }
        },
        () => undefined,
      );
      child.stdout.on('data', (chunk: Buffer) => lines.push(chunk));
      child.on('error', (error: NodeJS.ErrnoException) => {
        spawnError = error;
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (this.child === child) this.child = undefined;
        const wasGreeted = greeted;
        this.rejectPending(this.dropError());
        if (wasGreeted) {
          this.setState(this.closed ? 'idle' : 'disconnected');
          return;
        }
        this.setState('failed');
        const failure: ChildFailure = {
          name: this.opts.name,
          stderr,
          code,
          signal,
          ...(spawnError ? { spawnError } : {}),
        };
        Promise.resolve(this.opts.classify ? this.opts.classify(failure) : defaultFailure(failure)).then(reject, () =>
          reject(defaultFailure(failure)),
        );
      });
    });
  }

  private settle(id: string | null, outcome: { result: unknown } | { error: ErrorShape }): void {
    if (id === null) return; // A refusal of a line the client never sent as a request.
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if ('error' in outcome)
      pending.reject(new UpkeepError(outcome.error.code, outcome.error.message, outcome.error.details));
    else pending.resolve(outcome.result);
  }

  private rejectPending(error: UpkeepError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(error);
  }

  private dropError(): UpkeepError {
    return new UpkeepError(
      'HOST_DISCONNECTED',
      `The connection to "${this.opts.name}" dropped before the answer came. What was asked may still be running there (an update runs to its end): check its status and history once it is reachable again.`,
      { host: this.opts.name },
    );
  }
}

/** The last few lines of stderr: what a failed child said. */
export function lastLines(text: string, count = 5): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-count)
    .join(' / ');
}

function defaultFailure(failure: ChildFailure): UpkeepError {
  if (failure.spawnError) {
    return new UpkeepError(
      'HOST_UNREACHABLE',
      `Could not start the connection to "${failure.name}": ${failure.spawnError.message}.`,
      { host: failure.name, errno: failure.spawnError.code ?? null },
    );
  }
  const said = lastLines(failure.stderr);
  return new UpkeepError(
    'HOST_UNREACHABLE',
    `"${failure.name}" ended before Upkeep answered (exit ${failure.code ?? failure.signal ?? 'unknown'})${said ? `: ${said}` : ''}.`,
    { host: failure.name, exit_code: failure.code },
  );
}
