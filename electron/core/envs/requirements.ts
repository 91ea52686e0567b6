import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { errnoCode, errorMessage } from '../lib/error-info';

/** PEP 503 normalized name: what pip compares. */
export function normalizePackageName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The version bounds a requirements or constraints file puts on each package (normalized name → specifiers). */
export type Pins = Map<string, { specifier: string; line: string; file: string }[]>;

const NAME = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$/;

/**
 * Read a requirements file the way pip does for pins: comments and blank lines skipped, line
 * continuations joined, `-r`/`-c` includes followed (relative to the file), environment markers
 * dropped (the pin applies), options, URLs and editable installs ignored (they are not versions).
 */
export async function readPins(file: string, pins: Pins = new Map(), seen = new Set<string>()): Promise<Pins> {
  const abs = path.resolve(file);
  if (seen.has(abs)) return pins;
  seen.add(abs);
  let text: string;
  try {
    text = await fs.readFile(abs, 'utf8');
  } catch (error) {
    throw new UpkeepError(
      'NOT_FOUND',
      `The requirements file ${abs} cannot be read (${errnoCode(error) ?? errorMessage(error)}). Fix \`requirements\`/\`constraints\` in the component config.`,
      { file: abs },
    );
  }
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const rawLine of lines) {
    const line = rawLine.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const included = /^(?:-r|--requirement|-c|--constraint)\s*=?\s*(\S+)/.exec(line)?.[1];
    if (included !== undefined) {
      await readPins(path.resolve(path.dirname(abs), included), pins, seen);
      continue;
    }
    if (line.startsWith('-') || /^[a-z+]+:\/\//i.test(line) || line.includes(' @ ')) continue;
    const withoutMarker = line.split(';')[0]?.trim() ?? '';
    const m = NAME.exec(withoutMarker);
    if (!m?.[1]) continue;
    const spec = (m[2] ?? '').replace(/^\(|\)$/g, '').replace(/\s+/g, '');
    const key = normalizePackageName(m[1]);
    const list = pins.get(key) ?? [];
    list.push({ specifier: spec, line, file: abs });
    pins.set(key, list);
  }
  return pins;
}
