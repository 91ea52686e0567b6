/**
 * Folder trees of different shapes for the benchmarks (backup create/restore, update, restore),
 * each deterministic from a seed: the same seed gives the same paths, sizes and bytes, so runs and
 * benches compare like with like.
 *
 * - `app`: the backup bench's original tree — ~300 MB in 10,000 files, most files source-like
 *   text, most bytes in 240 already-compressed binaries with known extensions (.png, .whl, …).
 * - `node_modules`: 30,000 small text files (JavaScript, JSON, Markdown, type declarations, source
 *   maps) in ~900 packages, like an installed node_modules tree.
 * - `media`: a media library — 20 large incompressible files of 20 MB (video, audio, raw photos;
 *   some with extensions no list knows) and a small text sidecar beside each.
 * - `mixed`: 10,000 mid-size files of unknown type (.dat, .bin, .blob, .cache, no extension),
 *   ~300 MB: some random (already compressed or encrypted), some text, some structured binary
 *   records that compress well — the shape where deciding by extension goes wrong.
 *
 * `scale` (default 1) multiplies file counts and sizes for a quick look (e.g. 0.1).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export type ShapeName = 'app' | 'node_modules' | 'media' | 'mixed';
export const SHAPE_NAMES: readonly ShapeName[] = ['app', 'node_modules', 'media', 'mixed'];

export interface ShapeOptions {
  seed?: number;
  scale?: number;
}

export interface ShapeStats {
  shape: ShapeName;
  seed: number;
  files: number;
  bytes: number;
  /** Files whose bytes compress (text, structured records). */
  textFiles: number;
  textBytes: number;
  /** Files whose bytes do not (random: already compressed or encrypted). */
  binaryFiles: number;
  binaryBytes: number;
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Incompressible bytes from a seed (AES-256-CTR keystream): fast, and the same every run. */
export function seededBytes(seed: number): (n: number) => Buffer {
  const key = createHash('sha256').update(`upkeep-bench-${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return (n) => cipher.update(Buffer.alloc(n));
}

const WORDS =
  'self request response config value items result data user session cache token client server handler error retry timeout path folder version release update backup restore check channel component manager service queue event payload status'.split(
    ' ',
  );
const KEYWORDS = [
  'def',
  'return',
  'if',
  'for',
  'in',
  'import',
  'from',
  'class',
  'try',
  'except',
  'with',
  'as',
  'not',
  'and',
  'or',
  'None',
  'True',
  'False',
];
const JS_KEYWORDS = [
  'const',
  'let',
  'return',
  'if',
  'for',
  'of',
  'function',
  'async',
  'await',
  'new',
  'typeof',
  'export',
  'import',
  'null',
  'undefined',
  'true',
  'false',
];

const pickFrom = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;

/** One Python-like source line: indented identifiers, calls and literals. */
function sourceLine(rand: () => number): string {
  const pick = <T>(list: T[]) => pickFrom(rand, list);
  const indent = '    '.repeat(Math.floor(rand() * 4));
  const kind = rand();
  if (kind < 0.15)
    return `${indent}${pick(KEYWORDS)} ${pick(WORDS)}_${Math.floor(rand() * 1000)}(${pick(WORDS)}, ${pick(WORDS)}=${Math.floor(rand() * 100)}):`;
  if (kind < 0.5)
    return `${indent}${pick(WORDS)}_${pick(WORDS)} = ${pick(WORDS)}.${pick(WORDS)}(${pick(WORDS)}[${Math.floor(rand() * 64)}], "${pick(WORDS)}-${Math.floor(rand() * 1e6).toString(36)}")`;
  if (kind < 0.7)
    return `${indent}# ${Array.from({ length: 4 + Math.floor(rand() * 8) }, () => pick(WORDS)).join(' ')}`;
  if (kind < 0.85) return `${indent}${pick(KEYWORDS)} ${pick(WORDS)} ${pick(KEYWORDS)} ${pick(WORDS)}.${pick(WORDS)}:`;
  return `${indent}return ${pick(WORDS)}(${Math.floor(rand() * 1e9).toString(16)})`;
}

/** One JavaScript-like line (a node_modules file). */
function jsLine(rand: () => number): string {
  const w = () => pickFrom(rand, WORDS);
  const indent = '  '.repeat(Math.floor(rand() * 4));
  const kind = rand();
  if (kind < 0.25)
    return `${indent}${pickFrom(rand, JS_KEYWORDS)} ${w()}${w()[0]?.toUpperCase()}${w().slice(1)} = ${w()}.${w()}(${w()}, ${Math.floor(rand() * 100)});`;
  if (kind < 0.45)
    return `${indent}if (${w()} === ${pickFrom(rand, JS_KEYWORDS)}) { return ${w()}[${JSON.stringify(w())}]; }`;
  if (kind < 0.6) return `${indent}// ${Array.from({ length: 3 + Math.floor(rand() * 9) }, w).join(' ')}`;
  if (kind < 0.75) return `${indent}exports.${w()} = function ${w()}(${w()}, ${w()}) {`;
  if (kind < 0.9) return `${indent}}${rand() < 0.5 ? ');' : ''}`;
  return `${indent}throw new TypeError("${w()} ${w()} " + ${w()}.${w()} + " 0x${Math.floor(rand() * 1e9).toString(16)}");`;
}

/** Text of about `bytes` bytes, drawn from a pool of generated lines (compresses ~4-5x, like real code). */
function textMaker(rand: () => number, line: (rand: () => number) => string): (bytes: number) => string {
  const pool = Array.from({ length: 50_000 }, () => line(rand));
  return (bytes) => {
    const lines: string[] = [];
    let size = 0;
    while (size < bytes) {
      const l = pool[Math.floor(rand() * pool.length)] as string;
      lines.push(l);
      size += l.length + 1;
    }
    return `${lines.join('\n')}\n`;
  };
}

/** Structured binary records (a database page, a cache, a log in binary): compresses ~3x. */
function recordBytes(rand: () => number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  const fields = [0.5, 1.25, 2, 100, 3.75, 0];
  let id = Math.floor(rand() * 1e6);
  for (let off = 0; off + 32 <= bytes; off += 32) {
    out.writeUInt32LE(id++, off);
    out.writeUInt32LE(1_700_000_000 + Math.floor(rand() * 86_400), off + 4);
    out.writeUInt16LE(Math.floor(rand() * 16), off + 8);
    out.writeDoubleLE(pickFrom(rand, fields), off + 16);
    out.writeUInt32LE(Math.floor(rand() * 256), off + 24);
  }
  return out;
}

class TreeWriter {
  readonly stats: ShapeStats;
  private readonly made = new Set<string>();
  constructor(
    private readonly root: string,
    shape: ShapeName,
    seed: number,
  ) {
    this.stats = { shape, seed, files: 0, bytes: 0, textFiles: 0, textBytes: 0, binaryFiles: 0, binaryBytes: 0 };
  }

  write(rel: string, data: string | Buffer, compressible: boolean): void {
    const file = path.join(this.root, rel);
    const dir = path.dirname(file);
    if (!this.made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.made.add(dir);
    }
    writeFileSync(file, data);
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    this.stats.files++;
    this.stats.bytes += size;
    if (compressible) {
      this.stats.textFiles++;
      this.stats.textBytes += size;
    } else {
      this.stats.binaryFiles++;
      this.stats.binaryBytes += size;
    }
  }
}

const scaled = (n: number, scale: number) => Math.max(1, Math.round(n * scale));

/**
 * The `app` shape: ~300 MB in 10,000 files. Most files are source-like text; most bytes are in
 * already-compressed binaries (images, wheels, archives). Counts and total can be given.
 */
export function generateApp(
  root: string,
  options: { files?: number; binaryFiles?: number; binaryBytes?: number; seed?: number } = {},
): ShapeStats {
  const seed = options.seed ?? 42;
  const rand = prng(seed);
  const random = seededBytes(seed);
  const out = new TreeWriter(root, 'app', seed);
  const files = options.files ?? 10_000;
  const binaryFiles = options.binaryFiles ?? 240;
  const binaryTotal = options.binaryBytes ?? 230 * 1024 * 1024;
  const text = textMaker(rand, sourceLine);
  const dirs: string[] = [];
  for (let i = 0; i < 400; i++) {
    const depth = 1 + Math.floor(rand() * 4);
    const parts = Array.from({ length: depth }, () => `${pickFrom(rand, WORDS)}${Math.floor(rand() * 10)}`);
    dirs.push(path.join('src', ...parts));
  }
  for (const d of dirs) mkdirSync(path.join(root, d), { recursive: true });
  const exts = ['.py', '.js', '.ts', '.html', '.css', '.json', '.md', '.yaml'];
  for (let i = 0; i < files - binaryFiles; i++) {
    // Log-normal-ish sizes: many small files, some large ones (mean ~7 KB).
    const size = Math.min(250_000, Math.floor(400 + Math.exp(rand() * 11.2)));
    out.write(path.join(dirs[i % dirs.length] as string, `mod_${i}${exts[i % exts.length]}`), text(size), true);
  }
  const binExts = ['.png', '.jpg', '.whl', '.gz', '.woff2', '.zip'];
  const mean = binaryTotal / binaryFiles;
  for (let i = 0; i < binaryFiles; i++) {
    const size = Math.floor(mean * (0.25 + rand() * 1.5));
    const ext = binExts[i % binExts.length] as string;
    // Already compressed: random bytes, or real gzip output of text for the archives.
    const data = ext === '.gz' ? zlib.gzipSync(Buffer.from(text(size * 4))).subarray(0, size) : random(size);
    out.write(
      path.join(ext === '.whl' || ext === '.zip' || ext === '.gz' ? 'wheels' : 'static/img', `asset_${i}${ext}`),
      data,
      false,
    );
  }
  return out.stats;
}

/** The `node_modules` shape: 30,000 small text files in ~900 packages (mean ~5 KB). */
export function generateNodeModules(root: string, options: ShapeOptions = {}): ShapeStats {
  const seed = options.seed ?? 42;
  const scale = options.scale ?? 1;
  const rand = prng(seed);
  const out = new TreeWriter(root, 'node_modules', seed);
  const js = textMaker(rand, jsLine);
  const files = scaled(30_000, scale);
  const size = () => Math.min(200_000, Math.floor(120 + Math.exp(rand() * 10.6)));
  let pkg = 0;
  while (out.stats.files < files) {
    const name = `${pickFrom(rand, WORDS)}-${pickFrom(rand, WORDS)}-${pkg++}`;
    const base =
      rand() < 0.2 ? path.join('node_modules', `@${pickFrom(rand, WORDS)}`, name) : path.join('node_modules', name);
    out.write(
      path.join(base, 'package.json'),
      JSON.stringify(
        {
          name,
          version: `${pkg % 9}.${pkg % 13}.${pkg % 7}`,
          main: 'lib/index.js',
          license: 'MIT',
          dependencies: Object.fromEntries(
            Array.from({ length: Math.floor(rand() * 6) }, () => [
              pickFrom(rand, WORDS),
              `^${Math.floor(rand() * 9)}.0.0`,
            ]),
          ),
        },
        null,
        2,
      ),
      true,
    );
    out.write(path.join(base, 'README.md'), `# ${name}\n\n${js(size())}`, true);
    out.write(
      path.join(base, 'LICENSE'),
      `MIT License\n\nCopyright (c) ${name}\n\n${'Permission is hereby granted, free of charge, to any person obtaining a copy. '.repeat(8)}\n`,
      true,
    );
    const modules = 5 + Math.floor(rand() * 50);
    for (let m = 0; m < modules && out.stats.files < files; m++) {
      const kind = rand();
      const dir = kind < 0.6 ? 'lib' : 'dist';
      const ext = kind < 0.6 ? '.js' : kind < 0.8 ? '.d.ts' : kind < 0.92 ? '.js.map' : '.cjs';
      const body =
        ext === '.js.map'
          ? JSON.stringify({
              version: 3,
              sources: [`../src/${m}.ts`],
              mappings: js(size()).replace(/[^A-Za-z;,]/g, ''),
            })
          : js(size());
      out.write(path.join(base, dir, `${pickFrom(rand, WORDS)}_${m}${ext}`), body, true);
    }
  }
  return out.stats;
}

/** The `media` shape: 20 files of 20 MB of incompressible bytes, each with a small text sidecar. */
export function generateMedia(root: string, options: ShapeOptions = {}): ShapeStats {
  const seed = options.seed ?? 42;
  const scale = options.scale ?? 1;
  const rand = prng(seed);
  const random = seededBytes(seed);
  const out = new TreeWriter(root, 'media', seed);
  // Known to be compressed (.mp4, .mkv, .jpg, .flac) and not known by name (.m2ts, .cr2, .vob).
  const kinds = [
    ['Movies', '.mkv'],
    ['Movies', '.mp4'],
    ['Music', '.flac'],
    ['Photos', '.jpg'],
    ['Camera', '.m2ts'],
    ['Photos/raw', '.cr2'],
    ['DVD', '.vob'],
  ] as const;
  const count = scaled(20, scale);
  const bytes = scaled(20 * 1024 * 1024, scale);
  for (let i = 0; i < count; i++) {
    const [dir, ext] = kinds[i % kinds.length] as (typeof kinds)[number];
    const name = `${pickFrom(rand, WORDS)}_${i}`;
    out.write(path.join(dir, `${name}${ext}`), random(bytes), false);
    out.write(
      path.join(dir, `${name}.xmp`),
      `<x:xmpmeta><rdf:Description title="${name}" created="2026-0${1 + (i % 9)}-1${i % 10}" rating="${i % 5}"/></x:xmpmeta>\n`.repeat(
        4,
      ),
      true,
    );
  }
  return out.stats;
}

/**
 * The `mixed` shape: 10,000 mid-size files of unknown type (sizes 3–120 KB, log-uniform; ~300 MB):
 * 45% random bytes, 30% text, 25% structured binary records.
 */
export function generateMixed(root: string, options: ShapeOptions = {}): ShapeStats {
  const seed = options.seed ?? 42;
  const scale = options.scale ?? 1;
  const rand = prng(seed);
  const random = seededBytes(seed);
  const out = new TreeWriter(root, 'mixed', seed);
  const text = textMaker(rand, sourceLine);
  const exts = ['.dat', '.bin', '', '.blob', '.cache'];
  const files = scaled(10_000, scale);
  for (let i = 0; i < files; i++) {
    const size = Math.floor(3000 * Math.exp(rand() * Math.log(40)));
    const dir = path.join('data', `${pickFrom(rand, WORDS)}${i % 40}`, `${i % 7}`);
    const name = `${pickFrom(rand, WORDS)}_${i}${exts[i % exts.length]}`;
    const kind = rand();
    if (kind < 0.45) out.write(path.join(dir, name), random(size), false);
    else if (kind < 0.75) out.write(path.join(dir, name), text(size).slice(0, size), true);
    else out.write(path.join(dir, name), recordBytes(rand, size), true);
  }
  return out.stats;
}

/** Generate the named shape into `root` (which should be empty). */
export function generateShape(shape: ShapeName, root: string, options: ShapeOptions = {}): ShapeStats {
  mkdirSync(root, { recursive: true });
  switch (shape) {
    case 'app': {
      const scale = options.scale ?? 1;
      return generateApp(root, {
        seed: options.seed,
        files: scaled(10_000, scale),
        binaryFiles: scaled(240, scale),
        binaryBytes: scaled(230 * 1024 * 1024, scale),
      });
    }
    case 'node_modules':
      return generateNodeModules(root, options);
    case 'media':
      return generateMedia(root, options);
    case 'mixed':
      return generateMixed(root, options);
  }
}

export function isShapeName(name: string): name is ShapeName {
  return (SHAPE_NAMES as readonly string[]).includes(name);
}
