/** The entry rules of the safe extractor (extract.ts): entry paths, the tree's model, links. */
import { Refusal } from './refusal';

const CASE_INSENSITIVE = process.platform === 'darwin' || process.platform === 'win32';

export type NodeKind = 'dir' | 'implicit-dir' | 'file' | 'symlink';

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

/** Normalize an entry path or refuse it. Returns [] for the archive root (`./`). */
export function checkEntryPath(
  raw: string,
  limits: Pick<ExtractLimits, 'maxDepth' | 'maxPathBytes'> = DEFAULT_EXTRACT_LIMITS,
): string[] {
  const plain = plainParts(raw, limits);
  if (plain) return plain;
  // Only a refusal names the entry: quoting every path of a 30,000-entry archive is garbage.
  const entry = () => JSON.stringify(raw);
  if (raw.includes('\0')) throw new Refusal('UNSAFE_ARCHIVE', raw, `path ${entry()} contains a NUL byte`);
  if (raw.includes('\\'))
    throw new Refusal(
      'UNSAFE_ARCHIVE',
      raw,
      `path ${entry()} contains a backslash (a Windows separator that can climb out as ..\\)`,
    );
  if (/^[A-Za-z]:/.test(raw)) throw new Refusal('UNSAFE_ARCHIVE', raw, `path ${entry()} starts with a drive letter`);
  if (raw.startsWith('/')) throw new Refusal('UNSAFE_ARCHIVE', raw, `path ${entry()} is absolute`);
  if (Buffer.byteLength(raw) > limits.maxPathBytes)
    throw new Refusal(
      'UNSAFE_ARCHIVE',
      raw.slice(0, 80),
      `path of ${Buffer.byteLength(raw)} bytes is longer than ${limits.maxPathBytes}`,
    );
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Refusal('UNSAFE_ARCHIVE', raw, `path ${entry()} climbs out with ".."`);
  if (parts.length > limits.maxDepth)
    throw new Refusal(
      'UNSAFE_ARCHIVE',
      raw.slice(0, 80),
      `path is ${parts.length} folders deep (limit ${limits.maxDepth})`,
    );
  for (const p of parts)
    if (Buffer.byteLength(p) > 255)
      throw new Refusal('UNSAFE_ARCHIVE', raw, `a name in ${entry()} is longer than 255 bytes`);
  return parts;
}

/**
 * The parts of a path that needs no closer look, in one pass over it: printable ASCII without a
 * backslash, relative, no empty, `.` or `..` name (a trailing `/` aside), within the limits. Null
 * for anything else, which checkEntryPath then looks at rule by rule (and refuses with the reason).
 */
function plainParts(raw: string, limits: Pick<ExtractLimits, 'maxDepth' | 'maxPathBytes'>): string[] | null {
  const n = raw.length;
  if (n === 0 || n > limits.maxPathBytes) return null;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? raw.charCodeAt(i) : 0x2f;
    if (c === 0x2f) {
      const len = i - start;
      if (len === 0) {
        if (i === n && start > 0) break; // one trailing slash
        return null;
      }
      if (len > 255) return null;
      if (raw.charCodeAt(start) === 0x2e && (len === 1 || (len === 2 && raw.charCodeAt(start + 1) === 0x2e)))
        return null;
      start = i + 1;
    } else if (c < 0x20 || c > 0x7e || c === 0x5c) return null;
  }
  // A drive letter ("C:") only starts a path.
  if (n > 1 && raw.charCodeAt(1) === 0x3a) return null;
  const parts = raw.split('/');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.length > limits.maxDepth ? null : parts;
}

/** Lexically resolve a symlink target from the link's folder; null when it leaves the root. */
export function resolveInside(linkDir: string[], target: string): string[] | null {
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

/**
 * What the archive has put where so far: every parent must be a folder of this archive (never a
 * file, never a link), no name may come twice, and on a case-insensitive system no two names may
 * fold to the same file.
 */
export class TreeModel {
  readonly kinds = new Map<string, NodeKind>();
  private readonly folded = CASE_INSENSITIVE ? new Map<string, string>() : null;

  /** Record `parts` as a `kind`, or refuse it; returns its relative path. */
  claim(parts: string[], kind: NodeKind, raw: string): string {
    const model = this.kinds;
    const folded = this.folded;
    // Every parent must be a directory of this archive (never a file, never a link). A parent
    // already recorded as one had its own parents checked when it was recorded, and a folder
    // never becomes anything else: then only it needs looking at.
    const rel = parts.join('/');
    const parentKind =
      parts.length > 1 ? model.get(rel.slice(0, rel.length - (parts.at(-1) as string).length - 1)) : 'dir';
    const firstUnchecked = parentKind === 'dir' || parentKind === 'implicit-dir' ? parts.length : 1;
    for (let i = firstUnchecked; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const existing = model.get(prefix);
      if (existing === 'symlink')
        throw new Refusal(
          'UNSAFE_ARCHIVE',
          raw,
          `entry ${JSON.stringify(raw)} would be written through the symlink ${JSON.stringify(prefix)}`,
        );
      if (existing === 'file')
        throw new Refusal(
          'UNSAFE_ARCHIVE',
          raw,
          `entry ${JSON.stringify(raw)} uses the file ${JSON.stringify(prefix)} as a folder`,
        );
      if (!existing) model.set(prefix, 'implicit-dir');
    }
    const existing = model.get(rel);
    if (existing) {
      const ok = existing === 'implicit-dir' && kind === 'dir';
      if (!ok)
        throw new Refusal(
          'UNSAFE_ARCHIVE',
          raw,
          `entry ${JSON.stringify(raw)} appears twice (or a ${existing === 'implicit-dir' ? 'folder' : existing} and a ${kind} share the name)`,
        );
    }
    if (folded) {
      const key = rel.normalize('NFC').toLowerCase();
      const other = folded.get(key);
      if (other !== undefined && other !== rel)
        throw new Refusal(
          'UNSAFE_ARCHIVE',
          raw,
          `entries ${JSON.stringify(other)} and ${JSON.stringify(raw)} name the same file on this system`,
        );
      folded.set(key, rel);
    }
    model.set(rel, kind);
    return rel;
  }
}

/** Follow links through the archive's own tree; false when any step leaves the root. */
export function resolvesInside(
  model: Map<string, NodeKind>,
  links: { parts: string[]; target: string }[],
  start: string[],
  outward: ReadonlySet<string> = new Set(),
): boolean {
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
