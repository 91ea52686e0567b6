import { BLOCK, TarFormatError, decodeHeader, isZeroBlock, parsePax, type TarEntryType } from './tar-format';

/** One entry as the archive states it: nothing checked or normalized yet (the extractor does that). */
export interface TarEntryHeader {
  type: TarEntryType | 'unsupported';
  typeflag: string;
  path: string;
  linkpath: string;
  mode: number;
  size: number;
  mtime: number;
}

export type TarEvent =
  { kind: 'entry'; header: TarEntryHeader } | { kind: 'data'; chunk: Buffer } | { kind: 'entry-end' };

const MAX_META_BYTES = 1024 * 1024;
const MAX_TRAILING_ZEROS = 16 * 1024 * 1024;

function typeOf(flag: string): TarEntryType | 'unsupported' {
  switch (flag) {
    case '0':
    case '7':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'char-device';
    case '4':
      return 'block-device';
    case '5':
      return 'directory';
    case '6':
      return 'fifo';
    default:
      return 'unsupported';
  }
}

function gnuLongName(body: Buffer, what: string): string {
  let end = body.length;
  while (end > 0 && body[end - 1] === 0) end--;
  const value = body.subarray(0, end);
  if (value.includes(0)) throw new TarFormatError(`NUL byte inside a GNU long ${what}`);
  return value.toString('utf8');
}

/**
 * A strict streaming tar reader. Memory stays bounded by the input chunk size (plus at most
 * 1 MiB of pax/GNU metadata). It ends only at the end-of-archive marker: input that stops
 * before it is reported as truncated, and non-zero bytes after it as trailing garbage. A `data`
 * event's chunk is a view of the input chunk, valid as long as the source keeps that chunk's
 * memory: with decodeZstd as the source, only until the next event is asked for.
 */
export async function* readTar(source: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<TarEvent> {
  for await (const batch of readTarBatches(source)) yield* batch;
}

/**
 * readTar's events a chunk of input at a time: one array per chunk, reused — the consumer is
 * done with it (and with the chunk its `data` events are views of) when it asks for the next.
 * An extraction of 30,000 small files awaits ~1,000 batches rather than ~90,000 events.
 */
export async function* readTarBatches(source: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<readonly TarEvent[]> {
  const parser = new TarParser();
  const events: TarEvent[] = [];
  for await (const input of source) {
    let failure: { error: unknown } | null = null;
    try {
      parser.push(
        Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength),
        events,
      );
    } catch (error) {
      failure = { error };
    }
    // What came before a fault in this chunk goes out first, as it would have one by one.
    if (events.length) yield events;
    events.length = 0;
    if (failure) throw failure.error;
  }
  parser.end();
}

/**
 * The reader's state machine, fed chunk by chunk (synchronous: one small async loop above it
 * rather than one large one, which V8 optimizes in a fraction of the time). A chunk's `data`
 * events are views of that chunk.
 */
class TarParser {
  private pending: Buffer = Buffer.alloc(0);
  private state: 'header' | 'body' | 'meta' | 'padding' | 'eof' = 'header';
  private remaining = 0; // body bytes left in the current entry
  private pad = 0; // padding bytes left after the body
  private metaType = '';
  private metaChunks: Buffer[] = [];
  private pax: Record<string, string> = {};
  private globalPax: Record<string, string> = {};
  private longPath: string | undefined;
  private longLink: string | undefined;
  private zeroBlocks = 0;
  private trailing = 0;
  private sawEntry = false;
  private globalPaxSet = false;

  /** Whether nothing but the header block applies to the next entry. */
  private plain(): boolean {
    if (this.longPath !== undefined || this.longLink !== undefined || this.globalPaxSet) return false;
    for (const _ in this.pax) return false;
    return true;
  }

  private startEntry(raw: ReturnType<typeof decodeHeader>): TarEntryHeader {
    if (this.plain()) {
      // No pax records and no GNU long names (most entries): the header block says it all.
      return {
        type: typeOf(raw.typeflag),
        typeflag: raw.typeflag,
        path: raw.path,
        linkpath: raw.linkpath,
        mode: raw.mode,
        size: raw.size,
        mtime: raw.mtime,
      };
    }
    const merged = { ...this.globalPax, ...this.pax };
    let size = raw.size;
    if (merged.size !== undefined) {
      if (!/^[0-9]+$/.test(merged.size)) throw new TarFormatError('malformed pax size');
      size = Number(merged.size);
      if (!Number.isSafeInteger(size)) throw new TarFormatError('pax size too large');
    }
    const header: TarEntryHeader = {
      type: typeOf(raw.typeflag),
      typeflag: raw.typeflag,
      path: merged.path ?? this.longPath ?? raw.path,
      linkpath: merged.linkpath ?? this.longLink ?? raw.linkpath,
      mode: raw.mode,
      size,
      mtime: merged.mtime !== undefined && Number.isFinite(Number(merged.mtime)) ? Number(merged.mtime) : raw.mtime,
    };
    this.pax = {};
    this.longPath = undefined;
    this.longLink = undefined;
    return header;
  }

  /** Parse `input`, appending its events to `out`; throws at the first fault (`out` then holds what came before it). */
  push(input: Buffer, out: TarEvent[]): void {
    let chunk = input;
    if (this.pending.length) {
      chunk = Buffer.concat([this.pending, chunk]);
      this.pending = Buffer.alloc(0);
    }
    let pos = 0;
    while (pos < chunk.length) {
      if (this.state === 'body' || this.state === 'meta') {
        const take = Math.min(this.remaining, chunk.length - pos);
        const part = chunk.subarray(pos, pos + take);
        pos += take;
        this.remaining -= take;
        if (this.state === 'body') {
          if (take > 0) out.push({ kind: 'data', chunk: part });
        } else {
          this.metaChunks.push(Buffer.from(part));
        }
        if (this.remaining === 0) {
          if (this.state === 'meta') {
            const body = Buffer.concat(this.metaChunks);
            this.metaChunks = [];
            if (this.metaType === 'x') this.pax = { ...this.pax, ...parsePax(body) };
            else if (this.metaType === 'g') {
              this.globalPax = { ...this.globalPax, ...parsePax(body) };
              this.globalPaxSet = true;
            } else if (this.metaType === 'L') this.longPath = gnuLongName(body, 'path');
            else if (this.metaType === 'K') this.longLink = gnuLongName(body, 'link');
          } else {
            out.push({ kind: 'entry-end' });
          }
          this.state = this.pad > 0 ? 'padding' : 'header';
        }
        continue;
      }
      if (this.state === 'padding') {
        const take = Math.min(this.pad, chunk.length - pos);
        pos += take;
        this.pad -= take;
        if (this.pad === 0) this.state = 'header';
        continue;
      }
      // header or eof: whole blocks only
      if (chunk.length - pos < BLOCK) {
        this.pending = Buffer.from(chunk.subarray(pos));
        break;
      }
      const block = chunk.subarray(pos, pos + BLOCK);
      pos += BLOCK;
      if (this.state === 'eof') {
        if (!isZeroBlock(block)) throw new TarFormatError('data after the end-of-archive marker');
        // Writers pad the last record (GNU tar to 10 KiB by default, bsdtar -b 8192 to 4 MiB).
        // Far more zeros than that is a compressed run of them, read for nothing.
        this.trailing += BLOCK;
        if (this.trailing > MAX_TRAILING_ZEROS)
          throw new TarFormatError(`more than ${MAX_TRAILING_ZEROS} bytes of zeros after the end-of-archive marker`);
        continue;
      }
      if (isZeroBlock(block)) {
        this.zeroBlocks++;
        if (this.zeroBlocks >= 2) this.state = 'eof';
        continue;
      }
      if (this.zeroBlocks > 0) throw new TarFormatError('a zero block in the middle of the archive');
      const raw = decodeHeader(block);
      const size = raw.size;
      if (raw.typeflag === 'x' || raw.typeflag === 'g' || raw.typeflag === 'L' || raw.typeflag === 'K') {
        if (size > MAX_META_BYTES)
          throw new TarFormatError(`extended header of ${size} bytes (limit ${MAX_META_BYTES})`);
        this.metaType = raw.typeflag;
        this.remaining = size;
        this.pad = (BLOCK - (size % BLOCK)) % BLOCK;
        this.state = 'meta';
        if (size === 0) this.state = this.pad > 0 ? 'padding' : 'header';
        continue;
      }
      const header = this.startEntry(raw);
      this.sawEntry = true;
      out.push({ kind: 'entry', header });
      // Only regular files carry data; a size on anything else is refused by the extractor,
      // but is skipped here so the reader stays in step.
      this.remaining = header.size;
      this.pad = (BLOCK - (header.size % BLOCK)) % BLOCK;
      if (header.type !== 'file' && header.size > 0) {
        throw new TarFormatError(`entry "${header.path}" of type ${header.type} has a size of ${header.size}`);
      }
      if (this.remaining === 0) {
        out.push({ kind: 'entry-end' });
        this.state = this.pad > 0 ? 'padding' : 'header';
      } else {
        this.state = 'body';
      }
    }
  }

  /** The input ended: anything but a complete archive is an error. */
  end(): void {
    if (this.state === 'body' || this.state === 'meta' || this.state === 'padding')
      throw new TarFormatError('archive is truncated (it ends inside an entry)');
    if (this.pending.length) throw new TarFormatError('archive is truncated (it ends inside a header)');
    if (this.state !== 'eof') {
      if (!this.sawEntry && this.zeroBlocks === 0) throw new TarFormatError('archive is empty');
      // One zero block then EOF is what some writers produce; no marker at all means truncated.
      if (this.zeroBlocks === 0) throw new TarFormatError('archive is truncated (no end-of-archive marker)');
    }
  }
}
