import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { UpkeepError, type ErrorCode } from '../../../shared/errors';
import { finished } from 'node:stream/promises';
import { sha256File } from '../lib/hash';
import { UMASK, WriterStopped, type EntryWriter } from './entry-writer';
import { Refusal } from './refusal';
import { TarFormatError } from './tar-format';
import { readTar, type TarEntryHeader, type TarEvent } from './tar-reader';
import { readZip } from './zip-reader';
import { ANY_FRAMES, BACKUP_FRAMES, decodeZstd, zstdCodec, type Codec } from './zstd';

export interface ExtractLimits {
  /** Sum of all file sizes the archive may expand to. */
  maxTotalBytes: number;
  /** Number of entries (files, directories, links). */
  maxEntries: number;
  /** Expanded tar bytes per compressed byte, checked once `ratioGraceBytes` have come out. */
  maxRatio: number;
  ratioGraceBytes: number;
  /** Path components in one entry. */
  maxDepth: number;
  /** Bytes in one entry path. */
  maxPathBytes: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = {
  maxTotalBytes: 8 * 1024 ** 3,
  maxEntries: 250_000,
  maxRatio: 200,
  ratioGraceBytes: 64 * 1024 * 1024,
  maxDepth: 1024,
  maxPathBytes: 4096,
};

export type ExtractedEntryType = 'file' | 'directory' | 'symlink' | 'hardlink';

/** One entry as extracted (paths relative to the destination, `/` separators, top folder stripped). */
export interface ExtractedEntry {
  path: string;
  type: ExtractedEntryType;
  size: number;
  mode: number;
  mtime: number;
  /** A file's; absent where the extraction's writer checked it (restore-feed.ts) or nobody did. */
  sha256?: string;
  linkpath?: string;
}

/** What a trusted record (a backup manifest) says the archive holds; anything else is refused. */
export interface ExpectedContent {
  archiveSha256?: string;
  entries?: ReadonlyArray<{ path: string; type: string; size: number; sha256?: string; linkpath?: string }>;
}

export interface ExtractProgress {
  files: number;
  bytes: number;
  /** Archive bytes read so far (compressed). */
  archiveBytes: number;
  archiveTotal: number;
}

export interface ExtractOptions {
  /** The archive file: tar, tar.gz (any gzip), tar.zst where the runtime has zstd, or zip (stored/deflate). */
  archive: string;
  /**
   * The staging folder to extract into. It must not exist (it is created) or be empty.
   * `null` reads and checks everything and writes nothing (verification).
   */
  dest: string | null;
  /** Strip the one top-level folder every entry lives in (GitHub source tarballs). */
  stripTopFolder?: boolean;
  limits?: Partial<ExtractLimits>;
  /** setuid/setgid bits: refused by default, or stripped. */
  specialBits?: 'refuse' | 'strip';
  /** Restore modification times (default true). */
  preserveMtime?: boolean;
  expect?: ExpectedContent;
  /** Code for a damaged (rather than hostile) archive: BACKUP_CORRUPT for backups. */
  damagedCode?: Extract<ErrorCode, 'UNSAFE_ARCHIVE' | 'BACKUP_CORRUPT'>;
  /**
   * Symlinks that point outside the folder: refused (default, for every downloaded archive), or
   * restored exactly when the trusted manifest (`expect`) records that link with that target — a
   * venv's `bin/python3 -> /usr/bin/python3.11`, a symlinked `uploads/`. Nothing is ever written
   * through such a link, and no other link may lead out through it.
   */
  outwardLinks?: 'refuse' | 'as-recorded';
  /** Files written at once. */
  parallel?: number;
  /**
   * Write every entry through this instead (`dest` must then be null): each call comes after
   * the entry passed every check, in archive order. A restore's writer hands them to the backup
   * worker (restore-feed.ts), which writes with blocking calls (BlockingWriter).
   */
  writer?: EntryWriter;
  /**
   * Who hashes the archive: this extraction as it reads (default), or the caller on another
   * thread at the same time ('by-caller'): the result's archiveSha256 is then null and checking
   * it against `expect.archiveSha256` is the caller's job.
   */
  archiveHash?: 'inline' | 'by-caller';
  /**
   * Called after every 4 MiB that comes out of the archive. The backup worker collects its
   * young garbage there: each inflated chunk is a new buffer outside V8's heap, and V8 would
   * otherwise let ~64 MB of dead ones pile up before it looks.
   */
  reclaim?: () => void;
  /**
   * The archive is a backup Upkeep wrote: zstd is read with Upkeep's own frame reader (zstd.ts),
   * on every runtime, and only a backup's kinds of frame are taken. Otherwise zstd is read by the
   * runtime's own decoder (Node 22.15+), or where there is none by the same frame reader taking
   * any frame (ANY_FRAMES: each decoded whole, up to 256 MiB).
   */
  ownZstdFrames?: boolean;
  /** Accept an archive with no entries (a backup of an empty folder); refused by default. */
  allowEmpty?: boolean;
  /**
   * Also read zip archives (a release asset that is a .zip), with the same entry rules plus the
   * zip-specific ones (zip-reader.ts). Off by default: a zip is then refused as UNSUPPORTED.
   */
  zip?: boolean;
  onProgress?: (progress: ExtractProgress) => void;
  signal?: AbortSignal;
}

export interface ExtractResult {
  entries: ExtractedEntry[];
  files: number;
  bytes: number;
  archiveBytes: number;
  archiveSha256: string | null;
  /** The stripped top folder's name, when `stripTopFolder`. */
  topFolder: string | null;
  compression: 'gzip' | 'zstd' | 'zip' | 'none';
}

const SMALL_FILE = 8 * 1024 * 1024;
/**
 * Inflated bytes gunzip may hold for the reader. zlib inflates the next chunk only when its
 * output buffer has room: with the default 16 KiB, every 128 KiB chunk waited for the files
 * before it to be written; with 1 MiB, inflating runs on libuv's pool while they are written
 * (verifying a 300 MB backup: 0.85 s → 0.75 s).
 */
const INFLATE_AHEAD = 1024 * 1024;
/** See ExtractOptions.reclaim: a 300 MB restore peaked at ~148 MB without, ~127 MB with (every 4 MiB). */
const RECLAIM_EVERY = 4 * 1024 * 1024;
const WRITE_BUDGET_BYTES = 8 * 1024 * 1024;
const CASE_INSENSITIVE = process.platform === 'darwin' || process.platform === 'win32';

type NodeKind = 'dir' | 'implicit-dir' | 'file' | 'symlink';

/** Normalize an entry path or refuse it. Returns [] for the archive root (`./`). */
export function checkEntryPath(raw: string, limits: Pick<ExtractLimits, 'maxDepth' | 'maxPathBytes'> = DEFAULT_EXTRACT_LIMITS): string[] {
  const entry = JSON.stringify(raw);
  if (raw.includes('\0')) throw new Refusal('UNSAFE_ARCHIVE', raw, `path ${entry} contains a NUL byte`);
  if (raw.includes('\\')) throw new Refusal('UNSAFE_ARCHIVE', raw, `path ${entry} contains a backslash (a Windows separator that can climb out as ..\\)`);
  if (/^[A-Za-z]:/.test(raw)) throw new Refusal('UNSAFE_ARCHIVE', raw, `path ${entry} starts with a drive letter`);
  if (raw.startsWith('/')) throw new Refusal('UNSAFE_ARCHIVE', raw, `path ${entry} is absolute`);
  if (Buffer.byteLength(raw) > limits.maxPathBytes) throw new Refusal('UNSAFE_ARCHIVE', raw.slice(0, 80), `path of ${Buffer.byteLength(raw)} bytes is longer than ${limits.maxPathBytes}`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Refusal('UNSAFE_ARCHIVE', raw, `path ${entry} climbs out with ".."`);
  if (parts.length > limits.maxDepth) throw new Refusal('UNSAFE_ARCHIVE', raw.slice(0, 80), `path is ${parts.length} folders deep (limit ${limits.maxDepth})`);
  for (const p of parts) if (Buffer.byteLength(p) > 255) throw new Refusal('UNSAFE_ARCHIVE', raw, `a name in ${entry} is longer than 255 bytes`);
  return parts;
}

/** Lexically resolve a symlink target from the link's folder; null when it leaves the root. */
function resolveInside(linkDir: string[], target: string): string[] | null {
  const out = [...linkDir];
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(part);
  }
  return out;
}

class WritePool {
  private active = 0;
  private activeBytes = 0;
  private waiters: (() => void)[] = [];
  private failure: unknown;
  private readonly all = new Set<Promise<void>>();

  constructor(
    private readonly limit: number,
    private readonly byteLimit: number,
  ) {}

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Start a job once there is room; resolves when it has started, with a handle on its end. */
  async run(bytes: number, job: () => Promise<void>): Promise<{ done: Promise<void> }> {
    this.check();
    while (this.active >= this.limit || (this.active > 0 && this.activeBytes + bytes > this.byteLimit)) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      this.check();
    }
    this.active++;
    this.activeBytes += bytes;
    const p = job()
      .catch((error) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.active--;
        this.activeBytes -= bytes;
        this.all.delete(p);
        this.waiters.shift()?.();
      });
    this.all.add(p);
    return { done: p };
  }

  async drain(): Promise<void> {
    while (this.all.size) await Promise.all([...this.all]);
    this.check();
  }

  async settle(): Promise<void> {
    while (this.all.size) await Promise.allSettled([...this.all]);
  }
}

function detectCompression(head: Buffer): 'gzip' | 'zstd' | 'none' | 'bzip2' | 'xz' | 'zip' {
  if (head.length < 4) return 'none';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head[0] === 0xfd && head.toString('latin1', 1, 5) === '7zXZ') return 'xz';
  if (head.toString('latin1', 0, 4) === 'PK\u0003\u0004') return 'zip';
  return 'none';
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await handle.read(buf, 0, 8, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * The safe extractor shared by backups (restore) and updates (release archives). Strict: any
 * entry that could write outside `dest` — `..`, absolute or drive paths, backslashes, links
 * leaving the folder, writes through links, hardlinks to anything but an earlier file of the
 * same archive — and devices, FIFOs, setuid/setgid bits, NUL in names, duplicates and
 * conflicting entries, size/count/ratio bombs and damaged archives make it throw; the caller
 * then deletes `dest`, which holds everything that was written. Symlinks inside the folder come
 * back as they were.
 *
 * Files are written by Upkeep itself, many at once (bounded in count and bytes), from the
 * parsed stream: the fs writes, not tar or gzip, are what makes extraction slow.
 */
export async function extractArchive(options: ExtractOptions): Promise<ExtractResult> {
  const limits = { ...DEFAULT_EXTRACT_LIMITS, ...options.limits };
  const archiveName = path.basename(options.archive);
  const damaged = options.damagedCode ?? 'UNSAFE_ARCHIVE';
  const dest = options.dest === null ? null : path.resolve(options.dest);
  const preserveMtime = options.preserveMtime ?? true;

  let stat;
  try {
    stat = await fs.stat(options.archive);
  } catch (error) {
    throw new UpkeepError('NOT_FOUND', `Archive ${options.archive} cannot be read (${(error as NodeJS.ErrnoException).code}).`, { archive: options.archive });
  }
  const compression = detectCompression(await readHead(options.archive));
  if (compression === 'bzip2' || compression === 'xz' || (compression === 'zip' && !options.zip)) {
    throw new UpkeepError('UNSUPPORTED', `${archiveName} is a ${compression} archive; Upkeep extracts tar, tar.gz and tar.zst archives${options.zip ? ' and zip' : ''} here. Use a .tar.gz asset instead.`, { archive: options.archive });
  }
  // zstd: a backup's own frames always with Upkeep's reader; anything else with the runtime's
  // decoder where it has one, else with Upkeep's reader taking any frame.
  const ownZstd = compression === 'zstd' && (options.ownZstdFrames === true || !hasZstd());
  const zstdRules = options.ownZstdFrames === true ? BACKUP_FRAMES : ANY_FRAMES;

  const writer = options.writer ?? null;
  if (writer && dest) throw new Error('extractArchive: a writer writes instead of dest');
  if (dest) await prepareDest(dest);

  const hashInline = options.archiveHash !== 'by-caller';
  const archiveHash = createHash('sha256');
  let archiveBytes = 0;
  let tarBytes = 0;
  let nextReclaim = RECLAIM_EVERY;
  // Loaded before the file is opened: nothing may await between the stream's start and its readers.
  let codec: Codec | null = null;
  if (ownZstd) {
    try {
      codec = await zstdCodec();
    } catch (error) {
      throw new UpkeepError('UNSUPPORTED', `${archiveName} is zstd-compressed, and the zstd module (@bokuweb/zstd-wasm) cannot be loaded here (${(error as Error).message}). Reinstall Upkeep (npm ci) to restore it.`, { archive: options.archive }, { cause: error });
    }
  }
  // Modest buffers: every read and every inflated chunk is a new allocation, and what V8 has not
  // collected yet counts in the peak memory (256 KiB + 128 KiB: ~140 MB peak for a 300 MB restore, ~150 with 1 MiB + 256 KiB).
  const input = createReadStream(options.archive, { highWaterMark: 256 * 1024 });
  input.on('data', (chunk) => {
    if (hashInline) archiveHash.update(chunk as Buffer);
    archiveBytes += chunk.length;
  });
  const decoder: NodeJS.ReadableStream & NodeJS.WritableStream | null =
    compression === 'gzip'
      ? zlib.createGunzip({ chunkSize: 128 * 1024, highWaterMark: INFLATE_AHEAD } as zlib.ZlibOptions)
      : compression === 'zstd' && !ownZstd
        ? (zlib as unknown as { createZstdDecompress(o: object): zlib.Gunzip }).createZstdDecompress({ chunkSize: 256 * 1024 })
        : null;
  // A zip is read by offsets (zip-reader); this stream then only hashes it.
  const decoded: AsyncIterable<Buffer> = decoder
    ? (input.pipe(decoder) as unknown as AsyncIterable<Buffer>)
    : ownZstd
      ? decodeZstd(input as unknown as AsyncIterable<Buffer>, codec as Codec, zstdRules)
      : (input as unknown as AsyncIterable<Buffer>);
  input.on('error', (error) => (decoder as unknown as zlib.Gunzip | null)?.destroy(error));

  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of decoded) {
      tarBytes += chunk.length;
      if (options.reclaim && tarBytes >= nextReclaim) {
        nextReclaim = tarBytes + RECLAIM_EVERY;
        options.reclaim();
      }
      if (compression !== 'none' && tarBytes > limits.ratioGraceBytes && tarBytes / Math.max(1, archiveBytes) > limits.maxRatio) {
        throw new Refusal('ARCHIVE_TOO_LARGE', null, `it expands more than ${limits.maxRatio} times (a compression bomb)`);
      }
      yield chunk;
    }
  }

  const model = new Map<string, NodeKind>();
  const folded = CASE_INSENSITIVE ? new Map<string, string>() : null;
  const entries: ExtractedEntry[] = [];
  const fileJobs = new Map<string, Promise<void>>();
  const dirsToFinish: { rel: string; mode: number; mtime: number }[] = [];
  const symlinks: { parts: string[]; target: string }[] = [];
  const madeDirs = new Map<string, Promise<void>>();
  const pool = new WritePool(options.parallel ?? 24, WRITE_BUDGET_BYTES);
  const expected = options.expect?.entries ? new Map(options.expect.entries.map((e) => [e.path, e])) : null;
  let topFolder: string | null = null;
  let totalBytes = 0;
  let fileCount = 0;
  let entryCount = 0;
  let lastProgress = 0;

  // Files are created one at a time (their bytes are still written in parallel): creates in one
  // directory from several threads only spin on the directory's lock in the kernel.
  let creating: Promise<unknown> = Promise.resolve();
  const createSerially = (target: string, mode: number): Promise<fs.FileHandle> => {
    const opened = creating.then(() => fs.open(target, 'wx', mode));
    creating = opened.catch(() => undefined);
    return opened;
  };

  const abs = (rel: string) => path.join(dest as string, ...rel.split('/'));
  const ensureDir = (rel: string): Promise<void> => {
    if (rel === '') return Promise.resolve();
    let p = madeDirs.get(rel);
    if (!p) {
      p = fs.mkdir(abs(rel), { recursive: true, mode: 0o755 }).then(() => undefined);
      madeDirs.set(rel, p);
    }
    return p;
  };

  const parentOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');

  const claim = (parts: string[], kind: NodeKind, raw: string) => {
    // Every parent must be a directory of this archive (never a file, never a link).
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const existing = model.get(prefix);
      if (existing === 'symlink') throw new Refusal('UNSAFE_ARCHIVE', raw, `entry ${JSON.stringify(raw)} would be written through the symlink ${JSON.stringify(prefix)}`);
      if (existing === 'file') throw new Refusal('UNSAFE_ARCHIVE', raw, `entry ${JSON.stringify(raw)} uses the file ${JSON.stringify(prefix)} as a folder`);
      if (!existing) model.set(prefix, 'implicit-dir');
    }
    const rel = parts.join('/');
    const existing = model.get(rel);
    if (existing) {
      const ok = existing === 'implicit-dir' && kind === 'dir';
      if (!ok) throw new Refusal('UNSAFE_ARCHIVE', raw, `entry ${JSON.stringify(raw)} appears twice (or a ${existing === 'implicit-dir' ? 'folder' : existing} and a ${kind} share the name)`);
    }
    if (folded) {
      const key = rel.normalize('NFC').toLowerCase();
      const other = folded.get(key);
      if (other !== undefined && other !== rel) throw new Refusal('UNSAFE_ARCHIVE', raw, `entries ${JSON.stringify(other)} and ${JSON.stringify(raw)} name the same file on this system`);
      folded.set(key, rel);
    }
    model.set(rel, kind);
    return rel;
  };

  const recordedOutward = (rel: string, target: string): boolean => {
    if (options.outwardLinks !== 'as-recorded' || !expected) return false;
    const want = expected.get(rel);
    return want?.type === 'symlink' && want.linkpath === target && !target.includes('\0');
  };
  const outward = new Set<string>();

  const checkExpected = (rel: string, type: ExtractedEntryType, size: number, linkpath?: string) => {
    if (!expected) return;
    const want = expected.get(rel);
    if (!want) throw new Refusal('BACKUP_CORRUPT', rel, `entry ${JSON.stringify(rel)} is not in the backup's manifest`);
    if (want.type !== type || (type === 'file' && want.size !== size) || (type === 'symlink' && want.linkpath !== linkpath)) {
      throw new Refusal('BACKUP_CORRUPT', rel, `entry ${JSON.stringify(rel)} differs from the backup's manifest`);
    }
  };

  const progress = (force = false) => {
    if (!options.onProgress) return;
    const now = Date.now();
    if (!force && now - lastProgress < 100) return;
    lastProgress = now;
    options.onProgress({ files: fileCount, bytes: totalBytes, archiveBytes, archiveTotal: stat.size });
  };

  // Current file being read.
  // (With a `writer`, every file is open in it while it is `current`.)
  type Current = { rel: string; header: TarEntryHeader; mode: number; hash: Hash | null; chunks: Buffer[]; handle: fs.FileHandle | null; got: number };
  // (Cast: it is set in onEntry, so the loop must not take it for always null.)
  let current = null as Current | null;
  let skipBody = false;

  const finishFile = async () => {
    const f = current as NonNullable<typeof current>;
    const sha256 = f.hash ? f.hash.digest('hex') : undefined;
    if (expected && f.hash) {
      const want = expected.get(f.rel);
      // Still `current`: the error path closes its open file.
      if (want?.sha256 && want.sha256 !== sha256) throw new Refusal('BACKUP_CORRUPT', f.rel, `file ${JSON.stringify(f.rel)} does not match its checksum`);
    }
    current = null;
    const mtime = f.header.mtime;
    entries.push({ path: f.rel, type: 'file', size: f.header.size, mode: f.mode, mtime, ...(sha256 ? { sha256 } : {}) });
    fileCount++;
    if (writer) {
      const r = writer.endFile(f.mode, preserveMtime ? mtime : null);
      if (r) await r;
      return;
    }
    if (!dest) return;
    if (f.handle) {
      const handle = f.handle;
      try {
        await handle.chmod(f.mode);
        if (preserveMtime) await handle.utimes(mtime, mtime);
      } finally {
        await handle.close();
      }
      fileJobs.set(f.rel, Promise.resolve());
      return;
    }
    const chunks = f.chunks;
    const target = abs(f.rel);
    const parent = parentOf(f.rel);
    const mode = f.mode;
    const { done } = await pool.run(f.header.size, async () => {
      await ensureDir(parent);
      const handle = await createSerially(target, mode);
      try {
        for (const c of chunks) {
          let off = 0;
          while (off < c.length) off += (await handle.write(c, off, c.length - off)).bytesWritten;
        }
        if ((mode & UMASK) !== 0) await handle.chmod(mode);
        if (preserveMtime) await handle.utimes(mtime, mtime);
      } finally {
        await handle.close();
      }
    });
    fileJobs.set(f.rel, done);
  };

  /** An entry's header: checked, recorded, and its folder, link or (empty) file made. */
  const onEntry = async (header: TarEntryHeader): Promise<void> => {
    entryCount++;
    if (entryCount > limits.maxEntries) throw new Refusal('ARCHIVE_TOO_LARGE', header.path, `it has more than ${limits.maxEntries} entries`);
    let parts = checkEntryPath(header.path, limits);
    const raw = header.path;
    if (options.stripTopFolder) {
      if (parts.length === 0) {
        skipBody = true;
        return;
      }
      const top = parts[0] as string;
      topFolder ??= top;
      if (top !== topFolder) throw new Refusal('UNSAFE_ARCHIVE', raw, `entry ${JSON.stringify(raw)} is outside the archive's top folder ${JSON.stringify(topFolder)}`);
      parts = parts.slice(1);
      if (parts.length === 0) {
        if (header.type !== 'directory') throw new Refusal('UNSAFE_ARCHIVE', raw, `the archive's top-level entry ${JSON.stringify(raw)} is not a folder`);
        skipBody = true;
        return;
      }
    } else if (parts.length === 0) {
      if (header.type !== 'directory') throw new Refusal('UNSAFE_ARCHIVE', raw, `entry ${JSON.stringify(raw)} names the folder itself`);
      skipBody = true;
      return;
    }
    let mode = header.mode & 0o7777;
    if (mode & 0o6000) {
      if ((options.specialBits ?? 'refuse') === 'refuse') throw new Refusal('UNSAFE_ARCHIVE', raw, `entry ${JSON.stringify(raw)} has the setuid/setgid bit`);
    }
    mode &= 0o777;
    const mtime = Number.isFinite(header.mtime) ? header.mtime : 0;
    switch (header.type) {
      case 'directory': {
        const rel = claim(parts, 'dir', raw);
        checkExpected(rel, 'directory', 0);
        entries.push({ path: rel, type: 'directory', size: 0, mode, mtime });
        dirsToFinish.push({ rel, mode: mode | 0o700, mtime });
        if (writer) await writer.dir(rel);
        else if (dest) await ensureDir(rel);
        break;
      }
      case 'file': {
        if (totalBytes + header.size > limits.maxTotalBytes) throw new Refusal('ARCHIVE_TOO_LARGE', raw, `entry ${JSON.stringify(raw)} takes it past ${limits.maxTotalBytes} bytes`);
        totalBytes += header.size;
        const rel = claim(parts, 'file', raw);
        checkExpected(rel, 'file', header.size);
        // A writer that checks this file's sha256 itself (the restore's worker, when it has time) is handed the recorded one.
        const writerChecks = writer?.takesChecksum?.() === true;
        current = { rel, header, mode, hash: writerChecks ? null : createHash('sha256'), chunks: [], handle: null, got: 0 };
        if (writer) {
          // Out as the bytes arrive; a file failing its checksum fails the whole extraction.
          await writer.file(rel, mode, writerChecks ? expected?.get(rel)?.sha256 : undefined);
        } else if (dest && header.size > SMALL_FILE) {
          // Large files stream straight to disk, in order.
          await ensureDir(parentOf(rel));
          current.handle = await fs.open(abs(rel), 'wx', 0o600);
        }
        break;
      }
      case 'symlink': {
        const target = header.linkpath;
        if (!target) throw new Refusal('UNSAFE_ARCHIVE', raw, `symlink ${JSON.stringify(raw)} has no target`);
        if (Buffer.byteLength(target) > limits.maxPathBytes) throw new Refusal('UNSAFE_ARCHIVE', raw, `symlink ${JSON.stringify(raw)} has a target of ${Buffer.byteLength(target)} bytes (limit ${limits.maxPathBytes})`);
        const leaves = target.includes('\0') || target.includes('\\') || target.startsWith('/') || /^[A-Za-z]:/.test(target) || !resolveInside(parts.slice(0, -1), target);
        if (leaves && !recordedOutward(parts.join('/'), target)) {
          throw new Refusal('UNSAFE_ARCHIVE', raw, `symlink ${JSON.stringify(raw)} points outside the folder (${JSON.stringify(target)})`);
        }
        const rel = claim(parts, 'symlink', raw);
        if (leaves) outward.add(rel);
        checkExpected(rel, 'symlink', 0, target);
        symlinks.push({ parts, target });
        entries.push({ path: rel, type: 'symlink', size: 0, mode, mtime, linkpath: target });
        if (writer) await writer.symlink(rel, target, preserveMtime ? mtime : null);
        else if (dest) {
          await ensureDir(parentOf(rel));
          await fs.symlink(target, abs(rel));
          if (preserveMtime) await fs.lutimes(abs(rel), mtime, mtime).catch(() => undefined);
        }
        break;
      }
      case 'hardlink': {
        let targetParts: string[];
        try {
          targetParts = checkEntryPath(header.linkpath, limits);
        } catch (error) {
          if (!(error instanceof Refusal)) throw error;
          throw new Refusal('UNSAFE_ARCHIVE', raw, `hardlink ${JSON.stringify(raw)} points outside the folder (${JSON.stringify(header.linkpath)}: ${error.reason})`);
        }
        if (options.stripTopFolder) {
          if (targetParts[0] !== topFolder) throw new Refusal('UNSAFE_ARCHIVE', raw, `hardlink ${JSON.stringify(raw)} points outside the archive's top folder`);
          targetParts = targetParts.slice(1);
        }
        const targetRel = targetParts.join('/');
        if (model.get(targetRel) !== 'file') {
          throw new Refusal('UNSAFE_ARCHIVE', raw, `hardlink ${JSON.stringify(raw)} must point to a file earlier in the archive, not ${JSON.stringify(header.linkpath)}`);
        }
        const rel = claim(parts, 'file', raw);
        checkExpected(rel, 'hardlink', 0, header.linkpath);
        entries.push({ path: rel, type: 'hardlink', size: 0, mode, mtime, linkpath: targetRel });
        if (writer) await writer.link(targetRel, rel);
        else if (dest) {
          await fileJobs.get(targetRel);
          await ensureDir(parentOf(rel));
          await fs.link(abs(targetRel), abs(rel));
        }
        break;
      }
      default:
        throw new Refusal('UNSAFE_ARCHIVE', raw, `entry ${JSON.stringify(raw)} is a ${header.type === 'unsupported' ? `type "${header.typeflag}" entry` : header.type}, which Upkeep never extracts`);
    }
  };

  /** The archive's events, in order (its own function: the one loop V8 has to optimize). */
  const pump = async (events: AsyncIterable<TarEvent>): Promise<void> => {
    for await (const event of events) {
      if (options.signal?.aborted) throw new UpkeepError('CANCELLED', 'Extraction cancelled.');
      if (event.kind === 'data') {
        if (skipBody || !current) continue;
        const f = current;
        f.got += event.chunk.length;
        f.hash?.update(event.chunk);
        if (writer) {
          const r = writer.data(event.chunk);
          if (r) await r;
          continue;
        }
        if (!dest) continue;
        if (f.handle) {
          let off = 0;
          while (off < event.chunk.length) off += (await f.handle.write(event.chunk, off, event.chunk.length - off)).bytesWritten;
        } else f.chunks.push(event.chunk);
        continue;
      }
      if (event.kind === 'entry-end') {
        if (current) await finishFile();
        skipBody = false;
        progress();
        continue;
      }
      await onEntry(event.header);
    }
  };

  try {
    await pump(compression === 'zip' ? readZip(options.archive, limits) : readTar(counted()));
    if ((entryCount === 0 || entries.length === 0) && !options.allowEmpty) throw new Refusal(damaged, null, 'it is empty');
    // Links are checked again against the whole tree: a chain of in-folder links must not add up to an escape.
    for (const link of symlinks) {
      const rel = link.parts.join('/');
      if (outward.has(rel) || recordedOutward(rel, link.target)) continue;
      if (!resolvesInside(model, symlinks.filter((l) => !outward.has(l.parts.join('/'))), link.parts, outward)) throw new Refusal('UNSAFE_ARCHIVE', link.parts.join('/'), `symlink ${JSON.stringify(link.parts.join('/'))} leads outside the folder through other links`);
    }
    if (expected) {
      const seen = new Set(entries.map((e) => e.path));
      for (const want of expected.keys()) if (!seen.has(want)) throw new Refusal('BACKUP_CORRUPT', want, `entry ${JSON.stringify(want)} of the manifest is missing from the archive`);
    }
    await pool.drain();
    if (dest || writer) {
      // Folder modes and times last (children would have changed the times; a read-only folder would block them).
      for (const d of dirsToFinish.sort((a, b) => b.rel.length - a.rel.length)) {
        if (writer) {
          await writer.finishDir(d.rel, d.mode, preserveMtime ? d.mtime : null);
          continue;
        }
        await fs.chmod(abs(d.rel), d.mode);
        if (preserveMtime) await fs.utimes(abs(d.rel), d.mtime, d.mtime);
      }
    }
    if (compression === 'zip') await finished(input);
    const archiveSha256 = hashInline ? archiveHash.digest('hex') : null;
    if (archiveSha256 !== null && options.expect?.archiveSha256 && options.expect.archiveSha256 !== archiveSha256) {
      throw new Refusal('BACKUP_CORRUPT', null, `its sha256 is ${archiveSha256}, not ${options.expect.archiveSha256} as recorded`);
    }
    progress(true);
    return { entries, files: fileCount, bytes: totalBytes, archiveBytes, archiveSha256, topFolder, compression };
  } catch (error) {
    input.destroy();
    await pool.settle();
    // (A file open in `writer` is its owner's to close.)
    const open = current as { handle: fs.FileHandle | null } | null;
    if (open?.handle) await open.handle.close().catch(() => undefined);
    throw await explain(error, options, archiveName, damaged);
  }
}

/** Make the staging folder an extraction writes into: it must be new, or an empty folder. */
export async function prepareDest(dest: string): Promise<void> {
  try {
    await fs.mkdir(dest, { recursive: false, mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const st = await fs.lstat(dest);
    if (!st.isDirectory() || (await fs.readdir(dest)).length > 0) {
      throw new UpkeepError('INVALID_REQUEST', `Staging folder ${dest} must be new or empty.`, { dest });
    }
  }
}

function hasZstd(): boolean {
  return typeof (zlib as unknown as { createZstdDecompress?: unknown }).createZstdDecompress === 'function';
}

/** Follow links through the archive's own tree; false when any step leaves the root. */
function resolvesInside(model: Map<string, NodeKind>, links: { parts: string[]; target: string }[], start: string[], outward: ReadonlySet<string> = new Set()): boolean {
  const targets = new Map(links.map((l) => [l.parts.join('/'), l.target]));
  let hops = 0;
  const walk = (parts: string[]): string[] | null => {
    const out: string[] = [];
    for (const part of parts) {
      if (part === '..') {
        if (out.length === 0) return null;
        out.pop();
        continue;
      }
      out.push(part);
      const key = out.join('/');
      if (outward.has(key)) return null; // through a link that leaves the folder
      const target = targets.get(key);
      if (target !== undefined && model.get(key) === 'symlink') {
        if (++hops > 64) return out; // a loop: never resolves, cannot escape
        out.pop();
        const resolved = walk([...out, ...target.split('/').filter((p) => p !== '' && p !== '.')]);
        if (!resolved) return null;
        out.splice(0, out.length, ...resolved);
      }
    }
    return out;
  };
  const linkDir = start.slice(0, -1);
  const target = targets.get(start.join('/')) ?? '';
  return walk([...linkDir, ...target.split('/').filter((p) => p !== '' && p !== '.')]) !== null;
}

async function explain(error: unknown, options: ExtractOptions, archiveName: string, damaged: ErrorCode): Promise<Error> {
  // The writer's own failure is its owner's to report (see WriterStopped).
  if (error instanceof WriterStopped) return error;
  // A backup whose bytes are not what its manifest recorded is damaged, whatever else went wrong.
  // (Also with archiveHash 'by-caller': the archive is hashed again here, on this error path.)
  const recorded = options.expect?.archiveSha256;
  if (recorded && !(error instanceof UpkeepError && error.code === 'CANCELLED')) {
    const actual = await sha256File(options.archive).catch(() => null);
    if (actual !== recorded) {
      const why = error instanceof Error ? error.message : String(error);
      return new UpkeepError('BACKUP_CORRUPT', `Backup archive ${archiveName} is damaged: its checksum does not match the manifest (${why}). Restore a different backup.`, { archive: options.archive }, { cause: error });
    }
  }
  if (error instanceof Refusal) {
    const what = error.code === 'BACKUP_CORRUPT'
      ? `Backup archive ${archiveName} is damaged: ${error.reason}. Nothing was changed; restore a different backup.`
      : error.code === 'ARCHIVE_TOO_LARGE'
        ? `Refused archive ${archiveName}: ${error.reason}. Nothing was extracted outside the staging folder; if the archive is genuine, raise the limit.`
        : `Refused archive ${archiveName}: ${error.reason}. Nothing was extracted outside the staging folder; the archive is damaged or malicious — do not use it.`;
    return new UpkeepError(error.code, what, { archive: options.archive, ...(error.entry !== null ? { entry: error.entry } : {}), reason: error.reason }, { cause: error });
  }
  if (error instanceof TarFormatError) {
    return new UpkeepError(damaged, damaged === 'BACKUP_CORRUPT'
      ? `Backup archive ${archiveName} is damaged: ${error.message}. Restore a different backup.`
      : `Refused archive ${archiveName}: ${error.message}. Nothing was extracted outside the staging folder; download it again.`, { archive: options.archive, reason: error.message }, { cause: error });
  }
  if (error instanceof UpkeepError) return error;
  const e = error as NodeJS.ErrnoException;
  if (e.code && (e.code.startsWith('Z_') || e.code === 'ERR_ZLIB' || /unexpected end of file|incorrect header check|invalid/i.test(e.message))) {
    return new UpkeepError(damaged, damaged === 'BACKUP_CORRUPT'
      ? `Backup archive ${archiveName} is damaged (${e.message}). Restore a different backup.`
      : `Refused archive ${archiveName}: it is damaged or truncated (${e.message}). Download it again.`, { archive: options.archive, reason: e.message }, { cause: error });
  }
  return explainWriteError(error, options.archive);
}

/**
 * What a failed write during an extraction means for the user (the disk filled up, a permission,
 * a collision), as an UpkeepError; anything else is INTERNAL.
 */
export function explainWriteError(error: unknown, archive: string): UpkeepError {
  if (error instanceof UpkeepError) return error;
  const archiveName = path.basename(archive);
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') {
    return new UpkeepError('INSUFFICIENT_SPACE', `The disk filled up while extracting ${archiveName}. Free some space and try again; nothing was changed.`, { archive }, { cause: error });
  }
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return new UpkeepError('FORBIDDEN', `Permission denied while extracting ${archiveName} (${e.path ?? ''}). Upkeep needs write access to the folder that holds the destination, where it extracts first; nothing was changed.`, { archive, path: e.path }, { cause: error });
  }
  if (e.code === 'EEXIST') {
    return new UpkeepError('UNSAFE_ARCHIVE', `Refused archive ${archiveName}: an entry collides with another one (${e.path ?? ''}). Nothing was extracted outside the staging folder.`, { archive }, { cause: error });
  }
  return new UpkeepError('INTERNAL', `Extracting ${archiveName} failed: ${e.message}.`, { archive }, { cause: error });
}
