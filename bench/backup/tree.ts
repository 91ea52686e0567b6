import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** A small deterministic PRNG (mulberry32): the same tree every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = 'self request response config value items result data user session cache token client server handler error retry timeout path folder version release update backup restore check channel component manager service queue event payload status'.split(' ');
const KEYWORDS = ['def', 'return', 'if', 'for', 'in', 'import', 'from', 'class', 'try', 'except', 'with', 'as', 'not', 'and', 'or', 'None', 'True', 'False'];

/** One source-like line: indented identifiers, calls and literals. */
function sourceLine(rand: () => number): string {
  const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)] as T;
  const indent = '    '.repeat(Math.floor(rand() * 4));
  const kind = rand();
  if (kind < 0.15) return `${indent}${pick(KEYWORDS)} ${pick(WORDS)}_${Math.floor(rand() * 1000)}(${pick(WORDS)}, ${pick(WORDS)}=${Math.floor(rand() * 100)}):`;
  if (kind < 0.5) return `${indent}${pick(WORDS)}_${pick(WORDS)} = ${pick(WORDS)}.${pick(WORDS)}(${pick(WORDS)}[${Math.floor(rand() * 64)}], "${pick(WORDS)}-${Math.floor(rand() * 1e6).toString(36)}")`;
  if (kind < 0.7) return `${indent}# ${Array.from({ length: 4 + Math.floor(rand() * 8) }, () => pick(WORDS)).join(' ')}`;
  if (kind < 0.85) return `${indent}${pick(KEYWORDS)} ${pick(WORDS)} ${pick(KEYWORDS)} ${pick(WORDS)}.${pick(WORDS)}:`;
  return `${indent}return ${pick(WORDS)}(${Math.floor(rand() * 1e9).toString(16)})`;
}

let pool: string[] | undefined;

/** Source-like text (compresses ~4-5x, like real code), drawn from a pool of 50,000 generated lines. */
function sourceText(rand: () => number, bytes: number): string {
  pool ??= Array.from({ length: 50_000 }, () => sourceLine(rand));
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = pool[Math.floor(rand() * pool.length)] as string;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

export interface TreeStats {
  files: number;
  bytes: number;
  textFiles: number;
  textBytes: number;
  binaryFiles: number;
  binaryBytes: number;
}

/**
 * A tree like a real app folder: ~300 MB in 10,000 files. Most files are source-like text; most
 * bytes are in already-compressed binaries (images, wheels, archives).
 */
export function generateTree(root: string, options: { files?: number; binaryFiles?: number; binaryBytes?: number; seed?: number } = {}): TreeStats {
  const rand = prng(options.seed ?? 42);
  const files = options.files ?? 10_000;
  const binaryFiles = options.binaryFiles ?? 240;
  const binaryTotal = options.binaryBytes ?? 230 * 1024 * 1024;
  const textFiles = files - binaryFiles;
  const stats: TreeStats = { files: 0, bytes: 0, textFiles: 0, textBytes: 0, binaryFiles: 0, binaryBytes: 0 };
  const dirs: string[] = [];
  for (let i = 0; i < 400; i++) {
    const depth = 1 + Math.floor(rand() * 4);
    const parts = Array.from({ length: depth }, () => `${WORDS[Math.floor(rand() * WORDS.length)]}${Math.floor(rand() * 10)}`);
    dirs.push(path.join('src', ...parts));
  }
  for (const d of dirs) mkdirSync(path.join(root, d), { recursive: true });
  const exts = ['.py', '.js', '.ts', '.html', '.css', '.json', '.md', '.yaml'];
  for (let i = 0; i < textFiles; i++) {
    // Log-normal-ish sizes: many small files, some large ones (mean ~7 KB).
    const size = Math.min(250_000, Math.floor(400 + Math.exp(rand() * 11.2)));
    const text = sourceText(rand, size);
    const file = path.join(root, dirs[i % dirs.length] as string, `mod_${i}${exts[i % exts.length]}`);
    writeFileSync(file, text);
    stats.textFiles++;
    stats.textBytes += Buffer.byteLength(text);
  }
  mkdirSync(path.join(root, 'static', 'img'), { recursive: true });
  mkdirSync(path.join(root, 'wheels'), { recursive: true });
  const binExts = ['.png', '.jpg', '.whl', '.gz', '.woff2', '.zip'];
  const mean = binaryTotal / binaryFiles;
  for (let i = 0; i < binaryFiles; i++) {
    const size = Math.floor(mean * (0.25 + rand() * 1.5));
    const ext = binExts[i % binExts.length] as string;
    // Already compressed: random bytes, or real gzip output of text for the archives.
    const data = ext === '.gz' ? zlib.gzipSync(Buffer.from(sourceText(rand, size * 4))).subarray(0, size) : randomBytes(size);
    writeFileSync(path.join(root, ext === '.whl' || ext === '.zip' || ext === '.gz' ? 'wheels' : 'static/img', `asset_${i}${ext}`), data);
    stats.binaryFiles++;
    stats.binaryBytes += data.length;
  }
  stats.files = stats.textFiles + stats.binaryFiles;
  stats.bytes = stats.textBytes + stats.binaryBytes;
  return stats;
}
