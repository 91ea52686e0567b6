/**
 * Whether a file's bytes are worth compressing: by name where the name says (an image, a wheel,
 * an archive is stored; source and text are compressed), by content for everything else.
 *
 * Deciding by content costs little and is right on trees where names say nothing (`.dat`, `.bin`,
 * no extension): a sample of the bytes — three 4 KiB windows, at the start, the middle and the
 * end — is looked at in two steps, cheapest first.
 * 1. Its byte entropy: below ENTROPY_COMPRESSIBLE bits per byte, Huffman coding alone saves more
 *    than a tenth, so it is compressed without further ado (text, structured records, code).
 * 2. Otherwise the sample is compressed with a fast compressor (zstd at level 1 where it is
 *    loaded, else deflate at level 1): bytes that look random byte by byte may still repeat. Only
 *    a sample the fast compressor cannot shrink by PROBE_STORED_RATIO is stored.
 * The same two-step idea as borg's `auto` compression (a fast compressor decides whether the
 * expensive one runs), with an entropy count in front so that text never pays for the probe.
 */
import zlib from 'node:zlib';

const STORED_EXTENSIONS = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'webp',
  'avif',
  'heic',
  'ico',
  'zip',
  'whl',
  'egg',
  'jar',
  'war',
  'apk',
  'nupkg',
  'xpi',
  'crx',
  'gz',
  'tgz',
  'bz2',
  'tbz',
  'xz',
  'txz',
  'zst',
  'lz4',
  'lzma',
  '7z',
  'rar',
  'br',
  'mp3',
  'mp4',
  'm4a',
  'm4v',
  'aac',
  'ogg',
  'oga',
  'opus',
  'webm',
  'mkv',
  'mov',
  'avi',
  'flac',
  'woff',
  'woff2',
  'pdf',
  'docx',
  'xlsx',
  'pptx',
  'odt',
  'ods',
  'epub',
]);

const TEXT_EXTENSIONS = new Set([
  'py',
  'js',
  'mjs',
  'cjs',
  'ts',
  'tsx',
  'jsx',
  'json',
  'md',
  'txt',
  'html',
  'htm',
  'css',
  'scss',
  'yaml',
  'yml',
  'toml',
  'ini',
  'cfg',
  'conf',
  'xml',
  'svg',
  'csv',
  'sql',
  'sh',
  'rb',
  'php',
  'go',
  'rs',
  'java',
  'c',
  'h',
  'cpp',
  'hpp',
  'pyi',
  'map',
  'lock',
  'env',
  'log',
]);

/** Below this size a file of unknown type is compressed unlooked-at: its bytes ride along with the text around it. */
export const PROBE_MIN = 4096;
/** The sample: windows of this size at the start, the middle and the end. */
const WINDOW = 4096;
/** Bits per byte below which bytes are compressed without a probe. */
const ENTROPY_COMPRESSIBLE = 7.2;
/** A sample the fast compressor leaves at this fraction of its size or more is stored. */
const PROBE_STORED_RATIO = 0.97;

/** Compresses a sample fast; returns the compressed size. */
export type Probe = (sample: Uint8Array) => number;

const deflateProbe: Probe = (sample) => zlib.deflateRawSync(sample, { level: 1 }).length;

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot === -1 || name.indexOf('/', dot) !== -1 ? '' : name.slice(dot + 1).toLowerCase();
}

/** Whether a file is stored rather than compressed whatever its bytes: its name says it is already compressed. */
export function storedByName(name: string): boolean {
  return STORED_EXTENSIONS.has(extensionOf(name));
}

/** What the name says: true (text), false (already compressed), or undefined (the bytes must tell). */
export function compressibleByName(name: string): boolean | undefined {
  const ext = extensionOf(name);
  if (STORED_EXTENSIONS.has(ext)) return false;
  if (TEXT_EXTENSIONS.has(ext)) return true;
  return undefined;
}

/** The sample of `data` looked at: the whole of it when small, else three windows. */
function sampleOf(data: Buffer): Buffer {
  if (data.length <= 3 * WINDOW) return data;
  const middle = Math.floor(data.length / 2 - WINDOW / 2);
  return Buffer.concat(
    [data.subarray(0, WINDOW), data.subarray(middle, middle + WINDOW), data.subarray(data.length - WINDOW)],
    3 * WINDOW,
  );
}

const counts = new Uint32Array(256);

/** Order-0 entropy of `data`, in bits per byte (8 for random bytes). */
export function byteEntropy(data: Uint8Array): number {
  counts.fill(0);
  for (const byte of data) counts[byte] = (counts[byte] ?? 0) + 1;
  let bits = 0;
  for (let k = 0; k < 256; k++) {
    const c = counts[k] ?? 0;
    if (c) bits -= c * Math.log2(c / data.length);
  }
  return data.length ? bits / data.length : 0;
}

/** Whether these bytes are worth compressing, by their content alone (see the top of this file). */
export function compressibleByContent(data: Buffer, probe: Probe = deflateProbe): boolean {
  if (data.length < PROBE_MIN) return true;
  const sample = sampleOf(data);
  if (byteEntropy(sample) < ENTROPY_COMPRESSIBLE) return true;
  return probe(sample) < sample.length * PROBE_STORED_RATIO;
}

/** Whether a file's bytes are worth compressing: by its name where that says, else by `sample`'s content. */
export function looksCompressible(name: string, sample?: Buffer, probe?: Probe): boolean {
  return compressibleByName(name) ?? (sample ? compressibleByContent(sample, probe) : true);
}
