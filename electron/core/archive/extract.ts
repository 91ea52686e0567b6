import { promises as fs } from 'node:fs';
import { finished } from 'node:stream/promises';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import {
  checkEntryPath,
  DEFAULT_EXTRACT_LIMITS,
  resolveInside,
  resolvesInside,
  TreeModel,
  type ExtractLimits,
} from './extract-checks';
import { explain } from './extract-errors';
import type {
  ExpectedContent,
  ExtractedEntry,
  ExtractedEntryType,
  ExtractOptions,
  ExtractProgress,
  ExtractResult,
} from './extract-types';
import { FolderSink, NULL_SINK, selectedSink, writerSink, type ExtractSink } from './extract-sinks';
import { openArchive, probeArchive, type ArchiveStream } from './extract-source';
import type { EntryWriter } from './entry-writer';
import { Refusal } from './refusal';
import { readTarBatches, type TarEntryHeader, type TarEvent } from './tar-reader';
import { readZip } from './zip-reader';
import { PieceDigest } from '../lib/hash';

export { checkEntryPath, DEFAULT_EXTRACT_LIMITS, type ExtractLimits } from './extract-checks';
export { explainWriteError } from './extract-errors';
export type {
  ExpectedContent,
  ExtractedEntry,
  ExtractedEntryType,
  ExtractOptions,
  ExtractProgress,
  ExtractResult,
} from './extract-types';

/** The file whose bytes are being read. */
interface CurrentFile {
  rel: string;
  header: TarEntryHeader;
  mode: number;
  /** Its digest as its bytes come; null where the sink checks the file's sha256 itself. */
  digest: PieceDigest | null;
  /** Its sha256 as the manifest records it, where there is one. */
  recorded: string | undefined;
  /** Bytes of it read so far. */
  read: number;
}

/** One extraction: the archive's events in order, each entry checked, recorded and handed to the sink. */
class Extraction {
  readonly entries: ExtractedEntry[] = [];
  /** Entries recorded (listed in `entries` unless options.listEntries is false). */
  private recorded = 0;
  private readonly listing: boolean;
  /** Entries of the archive found in the manifest (each once: the tree model refuses a second). */
  private matched = 0;
  private readonly tree = new TreeModel();
  private readonly dirsToFinish: { rel: string; mode: number; mtime: number }[] = [];
  private readonly symlinks: { parts: string[]; target: string }[] = [];
  private readonly outward = new Set<string>();
  private readonly expected: Map<string, NonNullable<ExpectedContent['entries']>[number]> | null;
  private readonly preserveMtime: boolean;
  /** ExpectedContent.fileDigests 'archive': no file is hashed, the archive's sha256 covers them. */
  private readonly archiveOnly: boolean;
  topFolder: string | null = null;
  totalBytes = 0;
  fileCount = 0;
  entryCount = 0;
  private lastProgress = 0;
  private current: CurrentFile | null = null;
  private skipBody = false;

  constructor(
    private readonly options: ExtractOptions,
    private readonly limits: ExtractLimits,
    private readonly sink: ExtractSink,
    private readonly progressOf: () => ExtractProgress,
  ) {
    this.listing = options.listEntries ?? true;
    const wanted = options.expect?.entries;
    if (wanted) {
      this.expected = new Map();
      for (const e of wanted) this.expected.set(e.path, e);
    } else this.expected = null;
    this.preserveMtime = options.preserveMtime ?? true;
    this.archiveOnly = options.expect?.fileDigests === 'archive';
    if (this.archiveOnly && !options.expect?.archiveSha256)
      throw new Error("an extraction that leaves the files' digests to the archive's needs the archive's sha256");
  }

  private mtimeOrNull(mtime: number): number | null {
    return this.preserveMtime ? mtime : null;
  }

  progress(force = false): void {
    if (!this.options.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastProgress < 100) return;
    this.lastProgress = now;
    this.options.onProgress(this.progressOf());
  }

  /**
   * The archive's events, in order, a batch at a time (its own function: the one loop V8 has to
   * optimize). It awaits only where the sink asks it to wait: the checks and a writer with room
   * run without a turn of the event loop per event.
   */
  async pump(batches: AsyncIterable<readonly TarEvent[]>): Promise<void> {
    const signal = this.options.signal;
    for await (const events of batches) {
      if (signal?.aborted) throw new UpkeepError('CANCELLED', 'Extraction cancelled.');
      for (const event of events) {
        let r: void | Promise<void> = undefined;
        if (event.kind === 'data') {
          const f = this.current;
          if (this.skipBody || !f) continue;
          f.read += event.chunk.length;
          f.digest?.add(event.chunk, f.read === f.header.size);
          r = this.sink.data(event.chunk);
        } else if (event.kind === 'entry-end') {
          if (this.current) r = this.finishFile(this.current);
          this.skipBody = false;
          this.progress();
        } else {
          r = this.onEntry(event.header);
        }
        if (r) {
          await r;
          // A wait (the writer's buffers all taken) is where a cancel can come in the middle of a batch.
          if (signal?.aborted) throw new UpkeepError('CANCELLED', 'Extraction cancelled.');
        }
      }
    }
  }

  private recordedOutward(rel: string, target: string): boolean {
    if (this.options.outwardLinks !== 'as-recorded' || !this.expected) return false;
    const want = this.expected.get(rel);
    return want?.type === 'symlink' && want.linkpath === target && !target.includes('\0');
  }

  private record(entry: ExtractedEntry): void {
    this.recorded++;
    if (this.listing) this.entries.push(entry);
  }

  /** The manifest's record of `rel` (undefined without a manifest), once it matches what the archive says. */
  private checkExpected(
    rel: string,
    type: ExtractedEntryType,
    size: number,
    linkpath?: string,
  ): NonNullable<ExpectedContent['entries']>[number] | undefined {
    if (!this.expected) return undefined;
    const want = this.expected.get(rel);
    if (!want) throw new Refusal('BACKUP_CORRUPT', rel, `entry ${JSON.stringify(rel)} is not in the backup's manifest`);
    if (
      want.type !== type ||
      (type === 'file' && want.size !== size) ||
      (type === 'symlink' && want.linkpath !== linkpath)
    ) {
      throw new Refusal('BACKUP_CORRUPT', rel, `entry ${JSON.stringify(rel)} differs from the backup's manifest`);
    }
    this.matched++;
    return want;
  }

  private finishFile(f: CurrentFile): void | Promise<void> {
    const sha256 = f.digest?.hex();
    // Still current: the error path closes its open file.
    if (sha256 !== undefined && f.recorded !== undefined && f.recorded !== sha256)
      throw new Refusal('BACKUP_CORRUPT', f.rel, `file ${JSON.stringify(f.rel)} does not match its checksum`);
    this.current = null;
    const mtime = f.header.mtime;
    this.record({
      path: f.rel,
      type: 'file',
      size: f.header.size,
      mode: f.mode,
      mtime,
      ...(sha256 ? { sha256 } : {}),
    });
    this.fileCount++;
    return this.sink.endFile(f.mode, this.mtimeOrNull(mtime));
  }

  /** The entry's path within the destination, or null for an entry that is skipped (the root, the stripped top folder). */
  private partsOf(header: TarEntryHeader): string[] | null {
    const parts = checkEntryPath(header.path, this.limits);
    const raw = header.path;
    if (!this.options.stripTopFolder) {
      if (parts.length > 0) return parts;
      if (header.type !== 'directory')
        throw new Refusal('UNSAFE_ARCHIVE', raw, `entry ${JSON.stringify(raw)} names the folder itself`);
      return null;
    }
    if (parts.length === 0) return null;
    const top = parts[0] as string;
    this.topFolder ??= top;
    if (top !== this.topFolder)
      throw new Refusal(
        'UNSAFE_ARCHIVE',
        raw,
        `entry ${JSON.stringify(raw)} is outside the archive's top folder ${JSON.stringify(this.topFolder)}`,
      );
    if (parts.length > 1) return parts.slice(1);
    if (header.type !== 'directory')
      throw new Refusal('UNSAFE_ARCHIVE', raw, `the archive's top-level entry ${JSON.stringify(raw)} is not a folder`);
    return null;
  }

  /** An entry's header: checked, recorded, and its folder, link or (empty) file made. */
  private onEntry(header: TarEntryHeader): void | Promise<void> {
    this.entryCount++;
    if (this.entryCount > this.limits.maxEntries)
      throw new Refusal('ARCHIVE_TOO_LARGE', header.path, `it has more than ${this.limits.maxEntries} entries`);
    const parts = this.partsOf(header);
    if (!parts) {
      this.skipBody = true;
      return;
    }
    const raw = header.path;
    let mode = header.mode & 0o7777;
    if (mode & 0o6000 && (this.options.specialBits ?? 'refuse') === 'refuse')
      throw new Refusal('UNSAFE_ARCHIVE', raw, `entry ${JSON.stringify(raw)} has the setuid/setgid bit`);
    mode &= 0o777;
    const mtime = Number.isFinite(header.mtime) ? header.mtime : 0;
    switch (header.type) {
      case 'directory':
        return this.onDirectory(parts, raw, mode, mtime);
      case 'file':
        return this.onFile(parts, header, mode);
      case 'symlink':
        return this.onSymlink(parts, header, mode, mtime);
      case 'hardlink':
        return this.onHardlink(parts, header, mode, mtime);
      default:
        throw new Refusal(
          'UNSAFE_ARCHIVE',
          raw,
          `entry ${JSON.stringify(raw)} is a ${header.type === 'unsupported' ? `type "${header.typeflag}" entry` : header.type}, which Upkeep never extracts`,
        );
    }
  }

  private onDirectory(parts: string[], raw: string, mode: number, mtime: number): void | Promise<void> {
    const rel = this.tree.claim(parts, 'dir', raw);
    this.checkExpected(rel, 'directory', 0);
    this.record({ path: rel, type: 'directory', size: 0, mode, mtime });
    this.dirsToFinish.push({ rel, mode: mode | 0o700, mtime });
    return this.sink.dir(rel);
  }

  private onFile(parts: string[], header: TarEntryHeader, mode: number): void | Promise<void> {
    const raw = header.path;
    if (this.totalBytes + header.size > this.limits.maxTotalBytes)
      throw new Refusal(
        'ARCHIVE_TOO_LARGE',
        raw,
        `entry ${JSON.stringify(raw)} takes it past ${this.limits.maxTotalBytes} bytes`,
      );
    this.totalBytes += header.size;
    const rel = this.tree.claim(parts, 'file', raw);
    // A sink that checks this file's sha256 itself (the restore's worker, when it has time) is handed the recorded one.
    // With none recorded (a release) this thread hashes: the caller gets every file's sha256 in `entries`.
    const want = this.checkExpected(rel, 'file', header.size);
    const recorded = this.archiveOnly ? undefined : want?.sha256;
    const sinkChecks = recorded !== undefined && this.sink.takesChecksum();
    const digest = sinkChecks || this.archiveOnly ? null : new PieceDigest();
    this.current = { rel, header, mode, digest, recorded, read: 0 };
    // Out as the bytes arrive; a file failing its checksum fails the whole extraction.
    return this.sink.file(rel, mode, header.size, sinkChecks ? recorded : undefined);
  }

  private onSymlink(parts: string[], header: TarEntryHeader, mode: number, mtime: number): void | Promise<void> {
    const raw = header.path;
    const target = header.linkpath;
    if (!target) throw new Refusal('UNSAFE_ARCHIVE', raw, `symlink ${JSON.stringify(raw)} has no target`);
    if (Buffer.byteLength(target) > this.limits.maxPathBytes)
      throw new Refusal(
        'UNSAFE_ARCHIVE',
        raw,
        `symlink ${JSON.stringify(raw)} has a target of ${Buffer.byteLength(target)} bytes (limit ${this.limits.maxPathBytes})`,
      );
    const leaves =
      target.includes('\0') ||
      target.includes('\\') ||
      target.startsWith('/') ||
      /^[A-Za-z]:/.test(target) ||
      !resolveInside(parts.slice(0, -1), target);
    if (leaves && !this.recordedOutward(parts.join('/'), target)) {
      throw new Refusal(
        'UNSAFE_ARCHIVE',
        raw,
        `symlink ${JSON.stringify(raw)} points outside the folder (${JSON.stringify(target)})`,
      );
    }
    const rel = this.tree.claim(parts, 'symlink', raw);
    if (leaves) this.outward.add(rel);
    this.checkExpected(rel, 'symlink', 0, target);
    this.symlinks.push({ parts, target });
    this.record({ path: rel, type: 'symlink', size: 0, mode, mtime, linkpath: target });
    return this.sink.symlink(rel, target, this.mtimeOrNull(mtime));
  }

  private onHardlink(parts: string[], header: TarEntryHeader, mode: number, mtime: number): void | Promise<void> {
    const raw = header.path;
    let targetParts: string[];
    try {
      targetParts = checkEntryPath(header.linkpath, this.limits);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      throw new Refusal(
        'UNSAFE_ARCHIVE',
        raw,
        `hardlink ${JSON.stringify(raw)} points outside the folder (${JSON.stringify(header.linkpath)}: ${error.reason})`,
      );
    }
    if (this.options.stripTopFolder) {
      if (targetParts[0] !== this.topFolder)
        throw new Refusal(
          'UNSAFE_ARCHIVE',
          raw,
          `hardlink ${JSON.stringify(raw)} points outside the archive's top folder`,
        );
      targetParts = targetParts.slice(1);
    }
    const targetRel = targetParts.join('/');
    if (this.tree.kinds.get(targetRel) !== 'file') {
      throw new Refusal(
        'UNSAFE_ARCHIVE',
        raw,
        `hardlink ${JSON.stringify(raw)} must point to a file earlier in the archive, not ${JSON.stringify(header.linkpath)}`,
      );
    }
    const rel = this.tree.claim(parts, 'file', raw);
    this.checkExpected(rel, 'hardlink', 0, header.linkpath);
    this.record({ path: rel, type: 'hardlink', size: 0, mode, mtime, linkpath: targetRel });
    return this.sink.link(targetRel, rel);
  }

  /** After the last entry: the whole-tree checks, then the writes finished and folder modes and times set. */
  async finish(damaged: 'UNSAFE_ARCHIVE' | 'BACKUP_CORRUPT'): Promise<void> {
    if ((this.entryCount === 0 || this.recorded === 0) && !this.options.allowEmpty)
      throw new Refusal(damaged, null, 'it is empty');
    // Links are checked again against the whole tree: a chain of in-folder links must not add up to an escape.
    const inside = this.symlinks.filter((l) => !this.outward.has(l.parts.join('/')));
    for (const link of this.symlinks) {
      const rel = link.parts.join('/');
      if (this.outward.has(rel) || this.recordedOutward(rel, link.target)) continue;
      if (!resolvesInside(this.tree.kinds, inside, link.parts, this.outward))
        throw new Refusal(
          'UNSAFE_ARCHIVE',
          rel,
          `symlink ${JSON.stringify(rel)} leads outside the folder through other links`,
        );
    }
    // Every entry of the archive was found in the manifest (or refused), once: as many as it lists means none is missing.
    if (this.expected && this.matched !== this.expected.size) {
      for (const want of this.expected.keys()) {
        const kind = this.tree.kinds.get(want);
        if (kind === undefined || kind === 'implicit-dir')
          throw new Refusal(
            'BACKUP_CORRUPT',
            want,
            `entry ${JSON.stringify(want)} of the manifest is missing from the archive`,
          );
      }
      throw new Refusal('BACKUP_CORRUPT', null, "its entries do not match the backup's manifest");
    }
    await this.sink.drain();
    // Folder modes and times last (children would have changed the times; a read-only folder would block them).
    for (const d of this.dirsToFinish.sort((a, b) => b.rel.length - a.rel.length)) {
      const r = this.sink.finishDir(d.rel, d.mode, this.mtimeOrNull(d.mtime));
      if (r) await r;
    }
  }
}

/** Events one at a time as batches of one (a zip's entries are read one by one anyway). */
async function* oneByOne(events: AsyncIterable<TarEvent>): AsyncGenerator<readonly TarEvent[]> {
  for await (const event of events) yield [event];
}

/** The sink the options ask for: a writer, the staging folder (prepared here), or nothing. */
async function sinkFor(options: ExtractOptions, dest: string | null, writer: EntryWriter | null): Promise<ExtractSink> {
  if (writer && dest) throw new Error('extractArchive: a writer writes instead of dest');
  if (writer) return writerSink(writer);
  if (!dest) return NULL_SINK;
  await prepareDest(dest);
  return new FolderSink(dest, options.parallel ?? 24);
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
  const { size, compression } = await probeArchive(options);
  const all = await sinkFor(options, options.dest === null ? null : path.resolve(options.dest), options.writer ?? null);
  const selected = options.only ? { files: 0, bytes: 0 } : null;
  const sink = options.only && selected ? selectedSink(all, options.only, selected) : all;
  const archive: ArchiveStream = await openArchive(options, compression, limits);
  const x: Extraction = new Extraction(options, limits, sink, (): ExtractProgress => ({
    files: x.fileCount,
    bytes: x.totalBytes,
    archiveBytes: archive.archiveBytes,
    archiveTotal: size,
  }));
  try {
    // A zip is read by offsets (zip-reader); the archive's stream then only hashes it.
    await x.pump(compression === 'zip' ? oneByOne(readZip(options.archive, limits)) : readTarBatches(archive.tar));
    await x.finish(damaged);
    if (compression === 'zip') await finished(archive.input);
    const archiveSha256 = archive.digest();
    if (archiveSha256 !== null && options.expect?.archiveSha256 && options.expect.archiveSha256 !== archiveSha256) {
      throw new Refusal(
        'BACKUP_CORRUPT',
        null,
        `its sha256 is ${archiveSha256}, not ${options.expect.archiveSha256} as recorded`,
      );
    }
    x.progress(true);
    return {
      entries: x.entries,
      files: x.fileCount,
      bytes: x.totalBytes,
      archiveBytes: archive.archiveBytes,
      archiveSha256,
      topFolder: x.topFolder,
      compression,
      ...(selected ? { selected } : {}),
    };
  } catch (error) {
    archive.input.destroy();
    await sink.abort();
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
