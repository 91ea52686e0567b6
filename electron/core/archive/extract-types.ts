import type { ErrorCode } from '../../../shared/errors';
import type { EntryWriter } from './entry-writer';
import type { ExtractLimits } from './extract-checks';

/** The shapes of an extraction (extract.ts): its options, each entry extracted and the result. */

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
  /**
   * `archive`: the files' sha256 are not computed (and entries carry none); only with
   * `archiveSha256`, which covers every byte. For an archive already read whole and found
   * matching, whose sha256 was recorded then. Default `each`: every file's is checked.
   */
  fileDigests?: 'each' | 'archive';
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
  /**
   * With ownZstdFrames: decode the frames on a helper thread, a few ahead of the checks (see
   * decodeZstd). Worth it for an archive of several MiB; a thread takes ~50 ms to start.
   */
  zstdHelpers?: boolean;
  /** Accept an archive with no entries (a backup of an empty folder); refused by default. */
  allowEmpty?: boolean;
  /**
   * Also read zip archives (a release asset that is a .zip), with the same entry rules plus the
   * zip-specific ones (zip-reader.ts). Off by default: a zip is then refused as UNSUPPORTED.
   */
  zip?: boolean;
  /**
   * List every entry in the result (default true). A restore, which needs only the counts, says
   * false: 30,000 records and their digests are not kept for nothing.
   */
  listEntries?: boolean;
  /**
   * Write only the entries at these paths (a file's folders must be listed too, to be made);
   * every other entry is still read and checked, and written nowhere. A rollback that takes most
   * files from the tree its update replaced extracts only the rest (restore-reuse.ts).
   */
  only?: ReadonlySet<string>;
  onProgress?: (progress: ExtractProgress) => void;
  signal?: AbortSignal;
}

export interface ExtractResult {
  /** Every entry extracted, in archive order (empty with `listEntries: false`). */
  entries: ExtractedEntry[];
  files: number;
  bytes: number;
  archiveBytes: number;
  archiveSha256: string | null;
  /** The stripped top folder's name, when `stripTopFolder`. */
  topFolder: string | null;
  compression: 'gzip' | 'zstd' | 'zip' | 'none';
  /** With `only`: the files written and their bytes (`files` and `bytes` count every file checked). */
  selected?: { files: number; bytes: number };
}
