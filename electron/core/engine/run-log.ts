import { appendFileSync, mkdirSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { LogLine } from '../../../shared/types';
import { addLogSecret, logger } from '../lib/log';
import { redact, stripAnsi } from '../updaters/lib/text';

const log = logger('engine.run-log');

const LINE_PATTERN = /^(\S+) (stdout|stderr|message) (.*)$/;

/**
 * One run's log: every line (ANSI stripped, secrets replaced by ***) goes to
 * `<home>/logs/<run-id>.log` as `<ISO time> <stream> <text>` and out as an `update_log` event.
 * Written synchronously so a killed process leaves every line it reported.
 */
export class RunLog {
  readonly file: string;
  private readonly secrets = new Set<string>();

  constructor(
    logsDir: string,
    readonly runId: string,
    readonly component: string,
    private readonly emit: (line: LogLine) => void,
  ) {
    mkdirSync(logsDir, { recursive: true });
    this.file = path.join(logsDir, `${runId}.log`);
  }

  addSecret(value: string | undefined): void {
    if (value && value.length >= 4) this.secrets.add(value);
    // The host log redacts it too (a record logged outside this run may quote it).
    addLogSecret(value);
  }

  /** Redact registered secrets from any text leaving the engine (errors, history). */
  clean(text: string): string {
    return redact(stripAnsi(text), this.secrets);
  }

  write(text: string, stream: LogLine['stream'] = 'message'): void {
    for (const raw of text.split(/\r\n|\n|\r/)) {
      // Control characters other than tab would garble a terminal or the panel.
      // eslint-disable-next-line no-control-regex
      const line = this.clean(raw).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
      const entry: LogLine = {
        run_id: this.runId,
        component: this.component,
        stream,
        line,
        at: new Date().toISOString(),
      };
      try {
        appendFileSync(this.file, `${entry.at} ${stream} ${line}\n`, { mode: 0o600 });
      } catch {
        // A full disk must not turn a rollback into a crash; the event still goes out.
      }
      this.emit(entry);
    }
  }
}

/** Read a run's log back as lines (for the panel after the fact). */
export async function readRunLog(
  logsDir: string,
  runId: string,
  component: string | null,
  options: { offset?: number; limit?: number } = {},
): Promise<{ lines: LogLine[]; total: number }> {
  let text: string;
  try {
    text = await fs.readFile(path.join(logsDir, `${runId}.log`), 'utf8');
  } catch (error) {
    // A run that logged nothing (or whose log was removed) has no lines; an unreadable log is said in the host log.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn('a run log cannot be read', { run_id: runId, error });
    return { lines: [], total: 0 };
  }
  const all: LogLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    const m = LINE_PATTERN.exec(raw);
    if (m)
      all.push({
        run_id: runId,
        component: component ?? '',
        at: m[1] as string,
        stream: m[2] as LogLine['stream'],
        line: m[3] as string,
      });
  }
  const offset = options.offset ?? 0;
  const limit = options.limit ?? 5000;
  return { lines: all.slice(offset, offset + limit), total: all.length };
}
