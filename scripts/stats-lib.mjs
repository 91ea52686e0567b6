// Source figures shared by `npm run stats` and the tests: type casts per 1,000 lines.
// A cast is a TypeScript `as` type assertion (`x as T`, `x as unknown as T`), `as const` excluded;
// import/export renames (`import { a as b }`, `export * as ns`) are not casts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** The source trees the figures cover (tests, benches and scripts are not product source). */
export const SOURCE_ROOTS = ['electron', 'shared', 'renderer/src'];

/** Every .ts/.tsx file under the given roots (relative to `root`), sorted. */
export function sourceFiles(root, roots = SOURCE_ROOTS) {
  const out = [];
  const walk = (dir) => {
    let names;
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(full);
    }
  };
  for (const r of roots) walk(path.join(root, r));
  return out.sort();
}

/** Comments and string/template contents blanked out, so `as` in prose is not counted. */
function codeOnly(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:\\])\/\/.*$/gm, '$1')
    .replace(/'(?:[^'\\\n]|\\.)*'/g, "''")
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
    .replace(/`(?:[^`\\]|\\.)*`/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** The type assertions in one file's text: each as { line, text }. */
export function findCasts(text) {
  const code = codeOnly(text);
  const lines = code.split('\n');
  const out = [];
  lines.forEach((line, i) => {
    if (/^\s*(import|export)\b.*\bas\b/.test(line) && !/=/.test(line)) return;
    // `x as T`: `as` after an expression end (identifier, ), ], >, quote), followed by a type, not `const`.
    const re = /([\w)\]>'"`?!])\s+as\s+(?!const\b)([A-Za-z_{[(]|typeof\b|keyof\b)/g;
    let m;
    while ((m = re.exec(line))) {
      const before = line.slice(0, m.index + 1);
      // `{ a as b }` inside import/export braces spanning lines.
      if (/^\s*[\w$]+\s*$/.test(before) && /^\s*[\w$]+\s+as\s+[\w$]+\s*,?\s*$/.test(line)) continue;
      out.push({ line: i + 1, text: text.split('\n')[i].trim() });
    }
  });
  return out;
}

/** Casts and lines across the source trees: { casts, lines, perThousand, files: [{ file, casts }] }. */
export function castStats(root, roots = SOURCE_ROOTS) {
  let casts = 0;
  let lines = 0;
  const files = [];
  for (const file of sourceFiles(root, roots)) {
    const text = readFileSync(file, 'utf8');
    const n = findCasts(text).length;
    lines += text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    casts += n;
    if (n > 0) files.push({ file: path.relative(root, file), casts: n });
  }
  files.sort((a, b) => b.casts - a.casts || a.file.localeCompare(b.file));
  return { casts, lines, perThousand: lines === 0 ? 0 : (casts * 1000) / lines, files };
}
