import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseState } from '../lib/state-file';
import type { EnvRun } from './run';

/**
 * Repack installed distributions into wheels, offline: the files their RECORD lists inside
 * site-packages, with a fresh RECORD (installer bookkeeping dropped; console scripts are
 * regenerated from entry_points.txt on install). What pip removes on upgrade is thereby kept, so
 * a rollback can reinstall the exact previous version with `--no-index --find-links`.
 * Prints one JSON line: {"built": {name: wheel}, "failed": {name: reason}}.
 */
const REPACK = String.raw`
import base64, csv, hashlib, io, json, os, re, sys, zipfile
from importlib import metadata
out_dir = sys.argv[1]
built, failed = {}, {}
def norm(n): return re.sub(r"[-_.]+", "-", n).lower()
wanted = {norm(n): n for n in sys.argv[2:]}
seen = set()
for dist in metadata.distributions():
    name = dist.metadata["Name"]
    if not name or norm(name) not in wanted or norm(name) in seen: continue
    seen.add(norm(name))
    try:
        files = dist.files
        if files is None: raise RuntimeError("no RECORD")
        info_dir = None
        tag = "py3-none-any"
        entries = []
        for f in files:
            p = str(f)
            if p.startswith("..") or os.path.isabs(p) or "__pycache__" in p.split("/"): continue
            parts = p.split("/")
            if parts[0].endswith(".dist-info"):
                info_dir = parts[0]
                if parts[-1] in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"): continue
            src = dist.locate_file(f)
            if not os.path.isfile(src): continue
            entries.append((p, str(src)))
        if info_dir is None: raise RuntimeError("no .dist-info folder")
        wheel_meta = dist.read_text("WHEEL") or ""
        tags = [l.split(":", 1)[1].strip() for l in wheel_meta.splitlines() if l.startswith("Tag:")]
        if tags: tag = tags[0]
        version = dist.version
        fname = "%s-%s-%s.whl" % (re.sub(r"[-_.]+", "_", name), version, tag)
        target = os.path.join(out_dir, fname)
        tmp = target + ".part"
        record = io.StringIO()
        w = csv.writer(record, lineterminator="\n")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for arc, src in entries:
                data = open(src, "rb").read()
                z.writestr(arc, data)
                digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                w.writerow([arc, "sha256=" + digest, len(data)])
            w.writerow([info_dir + "/RECORD", "", ""])
            z.writestr(info_dir + "/RECORD", record.getvalue())
        os.replace(tmp, target)
        built[name] = fname
    except Exception as e:
        failed[name] = str(e)
for n in wanted:
    if n not in seen: failed[wanted[n]] = "not installed"
print(json.dumps({"built": built, "failed": failed}))
`;

export interface RepackResult {
  built: Record<string, string>;
  failed: Record<string, string>;
}

const repackResultSchema = z.object({
  built: z.record(z.string(), z.string()),
  failed: z.record(z.string(), z.string()),
}) satisfies z.ZodType<RepackResult>;

/** Repack `names` from the environment of `python` into `dir` (created when missing). */
export async function repackInstalled(
  run: EnvRun,
  python: string,
  dir: string,
  names: readonly string[],
): Promise<RepackResult> {
  if (names.length === 0) return { built: {}, failed: {} };
  await fs.mkdir(dir, { recursive: true });
  const r = await run([python, '-c', REPACK, dir, ...names]);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const parsed = parseState(line, repackResultSchema);
  if (parsed.ok) return parsed.value;
  // The repack script printed no result (or another shape): every wheel is reported failed with its stderr (handled, not hidden).
  return {
    built: {},
    failed: Object.fromEntries(
      names.map((n) => [n, `repacking failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`]),
    ),
  };
}

/** The wheel cache Upkeep keeps for one component: `<home>/cache/wheels/<component>`. */
export function wheelCacheDir(cacheRoot: string, componentId: string): string {
  return path.join(cacheRoot, 'wheels', componentId);
}
