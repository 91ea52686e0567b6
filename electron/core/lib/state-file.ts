import { copyFileSync, readdirSync, readFileSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import { logger } from './log';
import { errnoCode, errorMessage } from './error-info';

/**
 * The data directory's own state files (holds, attention, schedule state, run journals, locks,
 * caches) are parsed with a schema, like config and settings. A file that is missing is "missing";
 * one that is not JSON or not the expected shape is "corrupt" — never quietly read as empty, so the
 * caller decides: a cache is rebuilt, a file holding a person's choices is kept aside and reported
 * (STATE_CORRUPT), a run journal is reported as a failed recovery.
 */
export type StateRead<T> = { status: 'missing' } | { status: 'ok'; value: T } | { status: 'corrupt'; reason: string };

const log = logger('state');

/** Text to a value of the schema, or why not (the first problem, with its path). */
export function parseState<S extends z.ZodType>(
  text: string,
  schema: S,
): { ok: true; value: z.output<S> } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON (${errorMessage(error)})` };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length ? `${issue.path.join('.')}: ` : '';
  return { ok: false, reason: `not the expected shape (${where}${issue?.message ?? 'invalid'})` };
}

function toRead<S extends z.ZodType>(text: string, schema: S): StateRead<z.output<S>> {
  const parsed = parseState(text, schema);
  return parsed.ok ? { status: 'ok', value: parsed.value } : { status: 'corrupt', reason: parsed.reason };
}

const isMissing = (error: unknown) => errnoCode(error) === 'ENOENT';

/** Read and parse a state file. A missing one is `missing`; other read errors (permissions, a folder) throw. */
export function readStateFileSync<S extends z.ZodType>(file: string, schema: S): StateRead<z.output<S>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) return { status: 'missing' };
    throw error;
  }
  return toRead(text, schema);
}

export async function readStateFile<S extends z.ZodType>(file: string, schema: S): Promise<StateRead<z.output<S>>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) return { status: 'missing' };
    throw error;
  }
  return toRead(text, schema);
}

/** `<file>.corrupt-<time>`: where a damaged state file is copied before anything may replace it. */
export function corruptCopyName(file: string, now = new Date()): string {
  return `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
}

/** Copy a damaged file aside (kept, never deleted by Upkeep); the copy's path, or null when even that failed (logged). */
export function keepCorruptCopy(file: string): string | null {
  const aside = corruptCopyName(file);
  try {
    // One copy per damage, not one per process that meets it (every CLI command reads the file again).
    const text = readFileSync(file);
    const prefix = `${path.basename(file)}.corrupt-`;
    for (const name of readdirSync(path.dirname(file)).filter((n) => n.startsWith(prefix))) {
      const existing = path.join(path.dirname(file), name);
      if (readFileSync(existing).equals(text)) return existing;
    }
    copyFileSync(file, aside);
    return aside;
  } catch (error) {
    log.error('could not copy a damaged state file aside', { file, error });
    return null;
  }
}

/**
 * STATE_CORRUPT for a damaged state file, logged: what it is, why it cannot be read, where a copy
 * is, and what to do. `advice` is the one sentence for the person (e.g. "Fix or delete it, then set your holds again").
 */
export function stateCorrupt(
  what: string,
  file: string,
  reason: string,
  advice: string,
  aside: string | null = null,
): UpkeepError {
  const kept = aside ? ` A copy is kept as ${aside}.` : '';
  const error = new UpkeepError(
    'STATE_CORRUPT',
    `${what} (${file}) is damaged: ${reason}. Upkeep did not change it.${kept} ${advice}`,
    { file, reason, ...(aside ? { copy: aside } : {}) },
  );
  log.error(`${what} is damaged`, { file, reason, ...(aside ? { copy: aside } : {}) });
  return error;
}
