import os from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { invokeMethod, type ApiImplementation } from '../../../shared/contract';
import { UpkeepError, toErrorShape } from '../../../shared/errors';
import type { EventBus } from '../events';
import { appPackage } from '../lib/app-version';
import {
  LineSplitter,
  MAX_LINE_BYTES,
  PROTOCOL_VERSION,
  requestMessageSchema,
  type Hello,
  type ServerMessage,
} from './protocol';
import { isRecord } from '../../../shared/guards';

export interface StdioServerOptions {
  api: ApiImplementation;
  events: EventBus;
  input: Readable;
  output: Writable;
  /** Hostname in the hello (default os.hostname()). */
  host?: string;
}

export interface StdioServer {
  /** Resolves once the input ended (or stop() was called) and every request taken has been answered or has settled. */
  done: Promise<void>;
  /** Stop taking requests (as at the input's end); running ones go on to their end. */
  stop(): void;
}

/** The id of a malformed request, when it has a usable one, so the client can match the refusal. */
function requestId(value: unknown): string | null {
  if (!isRecord(value)) return null;
  const id = value.id;
  return typeof id === 'string' && id.length > 0 && id.length <= 200 ? id : null;
}

export function helloMessage(host?: string): Hello {
  return { type: 'hello', protocol: PROTOCOL_VERSION, upkeep: appPackage().version, host: host ?? os.hostname() };
}

/**
 * Serve the contract over a pair of streams (ARCHITECTURE.md §2: decode, invokeMethod, encode).
 * The output may close under it (the client went away): writes then stop, nothing throws, and
 * what is running — an update above all — runs to its end; the engine's journal and history keep the outcome.
 */
export function serveStdio(options: StdioServerOptions): StdioServer {
  const { input, output } = options;
  let writable = true;
  let accepting = true;
  const running = new Set<Promise<void>>();
  const closeOutput = () => {
    writable = false;
  };
  // A write to a pipe whose reader is gone fails with EPIPE: an 'error' event, never a crash.
  output.on('error', closeOutput);
  output.on('close', closeOutput);
  const send = (message: ServerMessage) => {
    if (!writable || output.destroyed || output.writableEnded) return;
    try {
      output.write(`${JSON.stringify(message)}\n`);
    } catch {
      // The other end is gone: nothing more can be said to it, and the close handler ends the session.
      writable = false;
    }
  };
  const refuse = (id: string | null, error: UpkeepError) =>
    send({ type: 'response', id, ok: false, error: toErrorShape(error) });

  const handle = async (line: string) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // Answered, not dropped: the sender is told the line is not JSON.
      return refuse(
        null,
        new UpkeepError('INVALID_REQUEST', 'A line is not valid JSON: send one JSON object a line.', {
          reason: 'bad_json',
        }),
      );
    }
    const parsed = requestMessageSchema.safeParse(value);
    if (!parsed.success) {
      return refuse(
        requestId(value),
        new UpkeepError(
          'INVALID_REQUEST',
          'A line is not a request: send {"type":"request","id":"…","method":"…","params":{…}}.',
          { reason: 'bad_message' },
        ),
      );
    }
    const { id, method, params } = parsed.data;
    try {
      const result = await invokeMethod(options.api, method, params ?? {}, { initiatedBy: 'cli', readOnly: false });
      send({ type: 'response', id, ok: true, result });
    } catch (error) {
      send({ type: 'response', id, ok: false, error: toErrorShape(error) });
    }
  };

  const splitter = new LineSplitter(
    MAX_LINE_BYTES,
    (line) => {
      if (!accepting) return;
      const task = handle(line).finally(() => running.delete(task));
      running.add(task);
    },
    () =>
      refuse(
        null,
        new UpkeepError('INVALID_REQUEST', `A line is over ${MAX_LINE_BYTES} bytes and was skipped.`, {
          reason: 'line_too_long',
          max_bytes: MAX_LINE_BYTES,
        }),
      ),
  );

  const unsubscribe = options.events.onAny((event, payload) => send({ type: 'event', event, payload }));
  let finish: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (finish = resolve));
  const stop = () => {
    if (!accepting) return;
    accepting = false;
    input.off('data', onData);
    finish();
  };
  const onData = (chunk: Buffer | string) => splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  input.on('data', onData);
  input.on('end', stop);
  input.on('close', stop);
  input.on('error', stop);

  send(helloMessage(options.host));
  const done = ended.then(async () => {
    while (running.size > 0) await Promise.allSettled([...running]);
    unsubscribe();
  });
  return { done, stop };
}
