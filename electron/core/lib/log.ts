import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { redact, stripAnsi } from '../updaters/lib/text';
import { errnoCode } from './error-info';

/**
 * The one logger of the core (docs/ARCHITECTURE.md, "Logging and errors"). Core code calls
 * `log.warn('what happened', { fields })`; where the record goes is the host's choice, set once at
 * start with `setLogSink` (the CLI, the headless host and the desktop app write `<home>/logs/upkeep.log`).
 * Inside a run (`withRunLog`), records also go into that run's log, so a person reading the run sees
 * them. Secrets never leave: registered values (the GitHub token, `*_env` credentials) and anything
 * shaped like a token, a password or URL credentials are replaced before any sink sees the record.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;

export interface LogRecord {
  at: string;
  level: LogLevel;
  /** Where it comes from, e.g. `backups.restore-journal`. */
  scope: string;
  message: string;
  fields?: LogFields;
}

/** Where records go. A sink must not throw (a full disk must not turn a rollback into a crash). */
export interface LogSink {
  write(record: LogRecord): void;
}

/** What a run log offers the logger (RunLog in engine/run-log.ts). */
export interface RunLogTarget {
  write(text: string, stream?: 'message'): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

let sink: LogSink | null = null;
const runContext = new AsyncLocalStorage<RunLogTarget>();
const secretValues = new Set<string>();
const secretSources = new Set<() => string | undefined>();

/** The host's sink for every record (null: records only reach a run's log). Returns the previous one. */
export function setLogSink(next: LogSink | null): LogSink | null {
  const previous = sink;
  sink = next;
  return previous;
}

/** A value that must never appear in a log (a token, an API key read from the environment). */
export function addLogSecret(value: string | undefined): void {
  if (value && value.length >= 4) secretValues.add(value);
}

/** A secret read when a record is written (the token in the secret store can change at any time). */
export function addLogSecretSource(source: () => string | undefined): () => void {
  secretSources.add(source);
  return () => void secretSources.delete(source);
}

/** Run `fn` with records of the logger also written into `target` (a run's log). */
export function withRunLog<T>(target: RunLogTarget, fn: () => T): T {
  return runContext.run(target, fn);
}

const KEY_LOOKS_SECRET = /(token|secret|password|passwd|authorization|api[_-]?key|cookie|credential)/i;

/**
 * Text safe to write anywhere: URL credentials and query strings go (tokens ride there), `key=value`
 * pairs that look like secrets lose their value, token-shaped words and registered secrets become `***`.
 */
let readingSources = false;

export function redactSecrets(text: string): string {
  const known = new Set(secretValues);
  // A source that logs while it is read (a damaged secret store) must not read itself again.
  if (!readingSources) {
    readingSources = true;
    try {
      for (const source of secretSources) {
        try {
          const value = source();
          if (value && value.length >= 4) known.add(value);
        } catch {
          // A secret store that cannot be read has no value to hide; the patterns below still apply.
        }
      }
    } finally {
      readingSources = false;
    }
  }
  return redact(stripAnsi(text), known)
    .replace(
      /\b(https?:\/\/)([^\s/@]+@)?([^\s/?#]+)([^\s?#]*)(\?[^\s#]*)?(#\S*)?/gi,
      (_m, scheme: string, _cred, host: string, p: string) => `${scheme}${host}${p}`,
    )
    .replace(
      /\b((?:api[_-]?key|token|secret|password|passwd|authorization|bearer)\s*[=:]\s*)("?)[^\s"',;]+/gi,
      '$1$2[redacted]',
    )
    .replace(
      /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,})\b/g,
      '[redacted]',
    );
}

/** Fields made plain and safe: errors to { code, message }, secret-named keys dropped to [redacted], text redacted. */
function cleanValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value === undefined) return undefined;
  if (value instanceof Error) {
    const code = errnoCode(value);
    return { ...(code !== undefined ? { code } : {}), message: redactSecrets(value.message) };
  }
  if (depth >= 4) return '[…]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => cleanValue(v, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value))
      out[key] =
        KEY_LOOKS_SECRET.test(key) && v !== null && v !== undefined && typeof v !== 'boolean'
          ? '[redacted]'
          : cleanValue(v, depth + 1);
    return out;
  }
  return redactSecrets(String(value));
}

function cleanFields(fields: LogFields | undefined): LogFields | undefined {
  if (!fields) return undefined;
  const cleaned = cleanValue(fields, 0);
  return cleaned && typeof cleaned === 'object' && Object.keys(cleaned).length ? (cleaned as LogFields) : undefined;
}

/** One line for people: `warn backups: message (key=value …)`. */
export function formatRecord(record: LogRecord): string {
  const fields = record.fields
    ? Object.entries(record.fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    : [];
  return `${record.level} ${record.scope}: ${record.message}${fields.length ? ` (${fields.join(' ')})` : ''}`;
}

function emit(level: LogLevel, scope: string, message: string, fields?: LogFields): void {
  const cleaned = cleanFields(fields);
  const record: LogRecord = {
    at: new Date().toISOString(),
    level,
    scope,
    message: redactSecrets(message),
    ...(cleaned ? { fields: cleaned } : {}),
  };
  try {
    sink?.write(record);
  } catch {
    // A sink must not throw; if one does, the record is lost rather than the operation that logged it.
  }
  const run = runContext.getStore();
  if (run && level !== 'debug') {
    try {
      run.write(formatRecord(record), 'message');
    } catch {
      // The run log has its own fallbacks (a full disk); the host sink above already has the record.
    }
  }
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A logger for one part of the core: `const log = logger('backups.store')`. */
export function logger(scope: string): Logger {
  return {
    debug: (message, fields) => emit('debug', scope, message, fields),
    info: (message, fields) => emit('info', scope, message, fields),
    warn: (message, fields) => emit('warn', scope, message, fields),
    error: (message, fields) => emit('error', scope, message, fields),
  };
}

export interface FileSinkOptions {
  /** Records below this level are dropped (default info: debug only when asked for). */
  level?: LogLevel;
  /** The file is rotated to `<file>.1` past this size (default 1 MiB), so the log stays small. */
  maxBytes?: number;
}

/** The host log: one JSON record a line, appended synchronously (a killed process keeps what it wrote), rotated by size. */
export function fileSink(file: string, options: FileSinkOptions = {}): LogSink {
  const min = RANK[options.level ?? 'info'];
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  let size: number | null = null;
  return {
    write(record) {
      if (RANK[record.level] < min) return;
      const line = `${JSON.stringify(record)}\n`;
      try {
        if (size === null) {
          mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
          size = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
        }
        if (size > 0 && size + line.length > maxBytes) {
          renameSync(file, `${file}.1`);
          size = 0;
        }
        appendFileSync(file, line, { mode: 0o600 });
        size += Buffer.byteLength(line);
      } catch {
        // A full or read-only disk: the host log is lost, not the operation that logged.
        size = null;
      }
    },
  };
}

/** Several sinks at once (the headless host: the file, and warnings on stderr). */
export function teeSink(...sinks: LogSink[]): LogSink {
  return { write: (record) => sinks.forEach((s) => s.write(record)) };
}

/** Records at or above `level` as one line each on a stream (stderr: stdout carries the CLI's --json). */
export function streamSink(write: (line: string) => void, level: LogLevel = 'warn'): LogSink {
  return {
    write: (record) => (RANK[record.level] >= RANK[level] ? write(`upkeep: ${formatRecord(record)}\n`) : undefined),
  };
}

/** `<home>/logs/upkeep.log`: the host log file beside the run logs. */
export function hostLogFile(logsDir: string): string {
  return path.join(logsDir, 'upkeep.log');
}

/** The error of a caught value as log fields: code (when it has one) and message. */
export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) {
    const code = errnoCode(error);
    return { error: error.message, ...(code !== undefined ? { code } : {}) };
  }
  return { error: String(error) };
}
