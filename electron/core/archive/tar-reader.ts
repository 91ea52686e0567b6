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
  | { kind: 'entry'; header: TarEntryHeader }
  | { kind: 'data'; chunk: Buffer }
  | { kind: 'entry-end' };

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
 * before it is reported as truncated, and non-zero bytes after it as trailing garbage.
 */
export async function* readTar(source: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<TarEvent> {
  let pending: Buffer = Buffer.alloc(0);
  let state: 'header' | 'body' | 'meta' | 'padding' | 'eof' = 'header';
  let remaining = 0; // body bytes left in the current entry
  let pad = 0; // padding bytes left after the body
  let metaType = '';
  let metaChunks: Buffer[] = [];
  let pax: Record<string, string> = {};
  let globalPax: Record<string, string> = {};
  let longPath: string | undefined;
  let longLink: string | undefined;
  let zeroBlocks = 0;
  let trailing = 0;
  let sawEntry = false;

  const startEntry = (raw: ReturnType<typeof decodeHeader>): TarEntryHeader => {
    const merged = { ...globalPax, ...pax };
    let size = raw.size;
    if (merged.size !== undefined) {
      if (!/^[0-9]+$/.test(merged.size)) throw new TarFormatError('malformed pax size');
      size = Number(merged.size);
      if (!Number.isSafeInteger(size)) throw new TarFormatError('pax size too large');
    }
    const header: TarEntryHeader = {
      type: typeOf(raw.typeflag),
      typeflag: raw.typeflag,
      path: merged.path ?? longPath ?? raw.path,
      linkpath: merged.linkpath ?? longLink ?? raw.linkpath,
      mode: raw.mode,
      size,
      mtime: merged.mtime !== undefined && Number.isFinite(Number(merged.mtime)) ? Number(merged.mtime) : raw.mtime,
    };
    pax = {};
    longPath = undefined;
    longLink = undefined;
    return header;
  };

  for await (const input of source) {
    let chunk: Buffer = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (pending.length) {
      chunk = Buffer.concat([pending, chunk]);
      pending = Buffer.alloc(0);
    }
    let pos = 0;
    while (pos < chunk.length) {
      if (state === 'body' || state === 'meta') {
        const take = Math.min(remaining, chunk.length - pos);
        const part = chunk.subarray(pos, pos + take);
        pos += take;
        remaining -= take;
        if (state === 'body') {
          if (take > 0) yield { kind: 'data', chunk: part };
        } else {
          metaChunks.push(Buffer.from(part));
        }
        if (remaining === 0) {
          if (state === 'meta') {
            const body = Buffer.concat(metaChunks);
            metaChunks = [];
            if (metaType === 'x') pax = { ...pax, ...parsePax(body) };
            else if (metaType === 'g') globalPax = { ...globalPax, ...parsePax(body) };
            else if (metaType === 'L') longPath = gnuLongName(body, 'path');
            else if (metaType === 'K') longLink = gnuLongName(body, 'link');
          } else {
            yield { kind: 'entry-end' };
          }
          state = pad > 0 ? 'padding' : 'header';
        }
        continue;
      }
      if (state === 'padding') {
        const take = Math.min(pad, chunk.length - pos);
        pos += take;
        pad -= take;
        if (pad === 0) state = 'header';
        continue;
      }
      // header or eof: whole blocks only
      if (chunk.length - pos < BLOCK) {
        pending = Buffer.from(chunk.subarray(pos));
        break;
      }
      const block = chunk.subarray(pos, pos + BLOCK);
      pos += BLOCK;
      if (state === 'eof') {
        if (!isZeroBlock(block)) throw new TarFormatError('data after the end-of-archive marker');
        // Writers pad the last record (GNU tar to 10 KiB by default, bsdtar -b 8192 to 4 MiB).
        // Far more zeros than that is a compressed run of them, read for nothing.
        trailing += BLOCK;
        if (trailing > MAX_TRAILING_ZEROS) throw new TarFormatError(`more than ${MAX_TRAILING_ZEROS} bytes of zeros after the end-of-archive marker`);
        continue;
      }
      if (isZeroBlock(block)) {
        zeroBlocks++;
        if (zeroBlocks >= 2) state = 'eof';
        continue;
      }
      if (zeroBlocks > 0) throw new TarFormatError('a zero block in the middle of the archive');
      const raw = decodeHeader(block);
      const size = raw.size;
      if (raw.typeflag === 'x' || raw.typeflag === 'g' || raw.typeflag === 'L' || raw.typeflag === 'K') {
        if (size > MAX_META_BYTES) throw new TarFormatError(`extended header of ${size} bytes (limit ${MAX_META_BYTES})`);
        metaType = raw.typeflag;
        remaining = size;
        pad = (BLOCK - (size % BLOCK)) % BLOCK;
        state = 'meta';
        if (size === 0) state = pad > 0 ? 'padding' : 'header';
        continue;
      }
      const header = startEntry(raw);
      sawEntry = true;
      yield { kind: 'entry', header };
      // Only regular files carry data; a size on anything else is refused by the extractor,
      // but is skipped here so the reader stays in step.
      remaining = header.size;
      pad = (BLOCK - (header.size % BLOCK)) % BLOCK;
      if (header.type !== 'file' && header.size > 0) {
        throw new TarFormatError(`entry "${header.path}" of type ${header.type} has a size of ${header.size}`);
      }
      if (remaining === 0) {
        yield { kind: 'entry-end' };
        state = pad > 0 ? 'padding' : 'header';
      } else {
        state = 'body';
      }
    }
  }
  if (state === 'body' || state === 'meta' || state === 'padding') throw new TarFormatError('archive is truncated (it ends inside an entry)');
  if (pending.length) throw new TarFormatError('archive is truncated (it ends inside a header)');
  if (state !== 'eof') {
    if (!sawEntry && zeroBlocks === 0) throw new TarFormatError('archive is empty');
    // One zero block then EOF is what some writers produce; no marker at all means truncated.
    if (zeroBlocks === 0) throw new TarFormatError('archive is truncated (no end-of-archive marker)');
  }
}
