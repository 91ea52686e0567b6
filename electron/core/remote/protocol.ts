import { z } from 'zod';
import { EVENT_NAMES, type EventName } from '../../../shared/contract';
import { isErrorShape, type ErrorShape } from '../../../shared/errors';

/**
 * `upkeep serve --stdio`: the contract over a child's standard input and output, one JSON object a
 * line (logs only on stderr). The server speaks first (hello); the client sends requests, the server
 * answers each by id and pushes the engine's events.
 */
export const PROTOCOL_VERSION = 1;
/** The longest line either side accepts (requests carry config documents of a few kilobytes). */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

export interface Hello {
  type: 'hello';
  protocol: number;
  /** The remote Upkeep's version. */
  upkeep: string;
  /** The remote machine's hostname. */
  host: string;
}

export interface RequestMessage {
  type: 'request';
  id: string;
  method: string;
  params: unknown;
}

export type ResponseMessage =
  | { type: 'response'; id: string; ok: true; result: unknown }
  | { type: 'response'; id: string | null; ok: false; error: ErrorShape };

export interface EventMessage {
  type: 'event';
  event: EventName;
  payload: unknown;
}

export type ServerMessage = Hello | ResponseMessage | EventMessage;

const requestIdSchema = z.string().min(1).max(200);

export const requestMessageSchema = z.strictObject({
  type: z.literal('request'),
  id: requestIdSchema,
  method: z.string().max(200),
  params: z.unknown().optional(),
});

const errorShapeSchema = z.custom<ErrorShape>((value) => isErrorShape(value));

export const serverMessageSchema = z.union([
  z.object({
    type: z.literal('hello'),
    protocol: z.number().int(),
    upkeep: z.string().max(200),
    host: z.string().max(300),
  }),
  z.object({ type: z.literal('response'), id: requestIdSchema, ok: z.literal(true), result: z.unknown() }),
  z.object({
    type: z.literal('response'),
    id: requestIdSchema.nullable(),
    ok: z.literal(false),
    error: errorShapeSchema,
  }),
  z.object({
    type: z.literal('event'),
    event: z.enum(EVENT_NAMES as [EventName, ...EventName[]]),
    payload: z.unknown(),
  }),
]);

/** One line (without its newline) to a server message; undefined for anything else (the caller says what). */
export function parseServerLine(line: string): ServerMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // Not JSON: undefined, and the caller says what arrived.
    return undefined;
  }
  const parsed = serverMessageSchema.safeParse(value);
  return parsed.success ? (parsed.data as ServerMessage) : undefined;
}

/**
 * Split a byte stream into lines, refusing any longer than `max` bytes without buffering it whole:
 * `onLine` gets each complete line, `onOversize` once per line that went over (its rest is skipped).
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;

  constructor(
    private readonly max: number,
    private readonly onLine: (line: string) => void,
    private readonly onOversize: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.take(chunk.subarray(start, nl), true);
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start), false);
  }

  private take(piece: Buffer, ends: boolean): void {
    if (!this.skipping) {
      this.size += piece.length;
      if (this.size > this.max) {
        this.skipping = true;
        this.parts = [];
        this.onOversize();
      } else {
        this.parts.push(piece);
      }
    }
    if (!ends) return;
    if (!this.skipping) {
      const line = Buffer.concat(this.parts).toString('utf8').replace(/\r$/, '');
      if (line.trim() !== '') this.onLine(line);
    }
    this.parts = [];
    this.size = 0;
    this.skipping = false;
  }
}
