import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import { extractArchive } from '../archive';
import { extractArchiveIsolated } from '../backups/in-worker';
import { oldTreeBeside, swapState } from '../lib/dir-swap';
import { discardTree, sweepTrash } from '../lib/trash';
import { assertApartFromDataDir } from '../lib/data-dir';
import { writeFileAtomic } from '../lib/fs-atomic';
import { readStateFile } from '../lib/state-file';
import { downloadFile, safeUrl } from './lib/download';
import { assetUrl, chooseDownload, downloadOptions, verifyReleaseFile } from './lib/release-files';
import {
  DEFAULT_PRESERVE,
  prepareRelease,
  revertTreeSwap,
  swapTree,
  type PreparedRelease,
  type TreeSwapRecord,
} from './lib/tree-sync';
import { defineUpdater, type OwnContext } from './types';
import { errnoCode, errorMessage } from '../lib/error-info';
import { isRecord } from '../../../shared/guards';

interface Downloaded {
  file: string;
  sha256: string;
  size: number;
}

/** The installed file list of one release version, so the next update removes what it dropped. */
interface ReleaseManifest {
  component: string;
  version: string;
  files: string[];
  /** sha256 of each file (`link:<target>` for links) as the release shipped it. */
  hashes: Record<string, string>;
  written_at: string;
}

/** Older manifests may lack `hashes` or `written_at`; the file list is what the sync relies on. */
const releaseManifestSchema = z.object({
  component: z.string(),
  version: z.string(),
  files: z.array(z.string()),
  hashes: z.record(z.string(), z.string()).default({}),
  written_at: z.string().default(''),
}) satisfies z.ZodType<ReleaseManifest, unknown>;

function folderOf(ctx: OwnContext<'release_archive'>): string {
  return path.resolve(ctx.config.folder);
}

function stagingOf(ctx: OwnContext<'release_archive'>): string {
  const folder = folderOf(ctx);
  return path.join(path.dirname(folder), `.${path.basename(folder)}.upkeep-staging-${ctx.runId}`);
}

/** Where the folder's previous tree waits, beside it, until the update is accepted or reverted. */
function oldTreeOf(ctx: OwnContext<'release_archive'>): string {
  const folder = folderOf(ctx);
  return oldTreeBeside(folder, ctx.runId);
}

/** The swap as journaled before anything in the folder moved (see swapTree), or null before that point. */
function swapRecordOf(ctx: OwnContext<'release_archive'>): TreeSwapRecord | null {
  const r = ctx.state.swap as Partial<TreeSwapRecord> | undefined;
  if (
    !r ||
    typeof r.folder !== 'string' ||
    typeof r.staging !== 'string' ||
    typeof r.old !== 'string' ||
    typeof r.new_ino !== 'number' ||
    !Array.isArray(r.carried)
  )
    return null;
  return r as TreeSwapRecord;
}

/** Map of the extractor's sha256 per file, relative to the release root inside staging. */
function extractedHashes(entries: readonly { path: string; sha256?: string }[], prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) if (e.sha256 && e.path.startsWith(prefix)) out.set(e.path.slice(prefix.length), e.sha256);
  return out;
}

function manifestFile(ctx: OwnContext<'release_archive'>, version: string): string {
  const safe = version.replace(/[^A-Za-z0-9._+-]/g, '_').slice(0, 120);
  return path.join(ctx.stateDir, 'release-files', `${safe}.json`);
}

function pendingManifest(ctx: OwnContext<'release_archive'>): string {
  return path.join(ctx.stateDir, 'release-files', `.pending-${ctx.runId}.json`);
}

async function readManifest(
  ctx: OwnContext<'release_archive'>,
  version: string | null,
): Promise<ReleaseManifest | null> {
  if (!version) return null;
  let got;
  try {
    got = await readStateFile(manifestFile(ctx, version), releaseManifestSchema);
  } catch (error) {
    got = { status: 'corrupt' as const, reason: `unreadable (${(error as Error).message})` };
  }
  // No manifest (installed before Upkeep kept them) is the usual case; without one the sync keeps every file it does not replace.
  if (got.status === 'corrupt')
    ctx.log(`the file list of ${version} is damaged (${got.reason}); files the release removed are kept`);
  return got.status === 'ok' ? got.value : null;
}

/**
 * The installed release's own source tarball, when no file list of it was recorded (the first
 * update under Upkeep): the target's tag with the installed version in place of the target's
 * (`v1.1.0` → `v1.0.0`, `release/v1.2.6` → `release/v1.2.3`) at the same tarball URL.
 */
export function installedTarballUrl(
  tarballUrl: string | null | undefined,
  tag: string | undefined,
  version: string,
  from: string | null,
): string | null {
  if (!tarballUrl || !tag || !from || from === version || !tag.includes(version)) return null;
  const fromTag = tag.replace(version, from);
  for (const [form, replacement] of [
    [encodeURIComponent(tag), encodeURIComponent(fromTag)],
    [tag, fromTag],
  ] as const) {
    if (tarballUrl.endsWith(`/${form}`)) return `${tarballUrl.slice(0, -form.length)}${replacement}`;
  }
  return null;
}

/** The files (and links) of the installed release, read from its tarball without writing anything. */
async function learnInstalledFiles(ctx: OwnContext<'release_archive'>): Promise<void> {
  if (!ctx.from || (await readManifest(ctx, ctx.from))) return;
  const url = installedTarballUrl(ctx.target.tarball_url, ctx.target.tag, ctx.target.version, ctx.from);
  if (!url) return;
  const file = path.join(ctx.workDir, 'installed-release.tar.gz');
  try {
    await downloadFile(url, file, { ...downloadOptions(ctx), maxBytes: 512 * 1024 * 1024 });
    const listed = await extractArchive({
      archive: file,
      dest: null,
      stripTopFolder: true,
      specialBits: 'strip',
      signal: ctx.signal,
    });
    const shipped = listed.entries.filter((e) => e.type === 'file' || e.type === 'symlink');
    const files = shipped.map((e) => e.path);
    const hashes: Record<string, string> = {};
    for (const e of shipped) {
      if (e.type === 'symlink' && e.linkpath !== undefined) hashes[e.path] = `link:${e.linkpath}`;
      else if (e.sha256) hashes[e.path] = e.sha256;
    }
    await writeFileAtomic(
      manifestFile(ctx, ctx.from),
      JSON.stringify({
        component: ctx.component.id,
        version: ctx.from,
        files,
        hashes,
        written_at: new Date().toISOString(),
      } satisfies ReleaseManifest),
    );
    ctx.log(`learned the ${files.length} files of the installed release ${ctx.from} from its tarball`);
  } catch (error) {
    ctx.log(
      `the installed release ${ctx.from} could not be read (${errorMessage(error)}); no old files are removed this time`,
    );
  } finally {
    await fs.rm(file, { force: true });
  }
}

/** A release extracted into staging by stage(), for apply in the same process: its root and per-file sha256. */
interface Staged {
  root: string;
  releaseHashes: Map<string, string>;
  /** Walked and checked by stage() (see prepareRelease). */
  prepared?: PreparedRelease;
  /**
   * The installed release's file list, read by stage() (null: none is known). A 30,000-file
   * list is parsed and checked in ~0.1 s, which then runs beside the backup, not before the swap.
   */
  previous?: ReleaseManifest | null;
}
const staged = new Map<string, Staged>();

const preserveOf = (ctx: OwnContext<'release_archive'>): readonly string[] => ctx.config.preserve ?? DEFAULT_PRESERVE;

/** Extract the downloaded release into the staging folder beside the component (the component is not touched). */
async function extractRelease(ctx: OwnContext<'release_archive'>): Promise<Staged> {
  const { file } = downloaded(ctx);
  const chosen = chooseDownload(ctx);
  const folder = folderOf(ctx);
  assertApartFromDataDir(folder, ctx.home.home, {
    what: `The folder of ${ctx.component.id} cannot be updated`,
    component: ctx.component.id,
    field: `components.${ctx.component.id}.folder`,
  });
  const staging = stagingOf(ctx);
  // A tree an earlier run was still removing when its process ended.
  for (const swept of await sweepTrash(folder)) ctx.log(`removed ${swept}, left over from an earlier update`);
  // Recorded first: a crash after this point leaves a staging folder that cleanup must find.
  ctx.state.staging = staging;
  await ctx.saveState();
  await fs.rm(staging, { recursive: true, force: true });
  ctx.log(`extracting into ${staging}`);
  // On two threads where the backup worker runs (as in a restore): this one reads and checks, the worker writes.
  const extracted = await extractArchiveIsolated({
    archive: file,
    dest: staging,
    stripTopFolder: chosen.sourceTarball,
    specialBits: 'strip',
    // A .zip asset (or archive/<ref>.zip) goes through the same checks and the same staging.
    zip: true,
    signal: ctx.signal,
    onProgress: (p) => ctx.progress((p.archiveBytes / Math.max(1, p.archiveTotal)) * 80),
  });
  ctx.log(
    `extracted ${extracted.files} files (${extracted.bytes} bytes)${extracted.topFolder ? `, top folder ${extracted.topFolder}/ stripped` : ''}`,
  );
  let root = staging;
  if (!chosen.sourceTarball) {
    // An asset with everything in one folder (app-1.2.3/…) is installed from inside it.
    const names = await fs.readdir(staging);
    if (names.length === 1) {
      const only = path.join(staging, names[0] ?? '');
      if ((await fs.lstat(only)).isDirectory()) root = only;
    }
  }
  const prefix = root === staging ? '' : `${path.relative(staging, root).split(path.sep).join('/')}/`;
  return { root, releaseHashes: extractedHashes(extracted.entries, prefix) };
}

function downloaded(ctx: OwnContext<'release_archive'>): Downloaded {
  const d = ctx.state.download;
  if (!isRecord(d) || typeof d.file !== 'string' || typeof d.sha256 !== 'string' || typeof d.size !== 'number')
    throw new UpkeepError('INTERNAL', 'The download step did not run before verify/apply.');
  return { file: d.file, sha256: d.sha256, size: d.size };
}

/**
 * The OTRS flow: download the release tarball (top folder stripped) or an asset (.tar.gz, .tar.zst,
 * .tar or .zip), verify it, extract it with the safe extractor into a staging folder beside the
 * component (zips with the same rules as tars, plus the zip reader's own), finish the new tree
 * there (the folder's `preserve` paths and user files carried over by rename, files only the
 * previous release had left out) and swap it with the folder in one step (see swapTree).
 */
export const releaseArchiveUpdater = defineUpdater<'release_archive'>({
  method: 'release_archive',
  // The release is downloaded into the run's work folder and extracted beside the component.
  preparesOutside: true,

  folder(ctx) {
    return folderOf(ctx);
  },

  downloadSize(ctx) {
    try {
      return chooseDownload(ctx).size;
    } catch {
      // No matching download yet (the check will say why): the size is unknown.
      return undefined;
    }
  },

  async preflight(ctx) {
    chooseDownload(ctx);
  },

  async download(ctx) {
    const chosen = chooseDownload(ctx);
    await fs.mkdir(ctx.workDir, { recursive: true });
    const file = path.join(ctx.workDir, path.basename(chosen.name) || 'release.tar.gz');
    const options = downloadOptions(ctx);
    const url = assetUrl(chosen, options.credential);
    ctx.log(`downloading ${chosen.name} from ${safeUrl(url)}${chosen.size ? ` (${chosen.size} bytes)` : ''}`);
    const result = await downloadFile(url, file, {
      ...options,
      ...(chosen.size !== undefined ? { expectedSize: chosen.size } : {}),
      onProgress: (received, total) => {
        const all = total ?? chosen.size;
        if (all) ctx.progress((received / all) * 100);
      },
    });
    ctx.state.download = { file: result.file, sha256: result.sha256, size: result.size } satisfies Downloaded;
    await ctx.saveState();
    ctx.log(`downloaded ${result.size} bytes, sha256 ${result.sha256}`);
    if (chosen.sourceTarball) await learnInstalledFiles(ctx);
  },

  async verify(ctx) {
    const { file, sha256 } = downloaded(ctx);
    await verifyReleaseFile(ctx, file, sha256, chooseDownload(ctx));
  },

  async stage(ctx) {
    const release = await extractRelease(ctx);
    // Walked and checked here, in staging, while the backup may still be read back.
    const prepared = await prepareRelease(release.root, preserveOf(ctx), release.releaseHashes);
    const previous = await readManifest(ctx, ctx.from);
    staged.set(ctx.runId, { ...release, prepared, previous });
  },

  async apply(ctx) {
    const folder = folderOf(ctx);
    // Staged by stage() in this process; a caller that went straight to apply stages here.
    const { root, releaseHashes, prepared, previous: known } = staged.get(ctx.runId) ?? (await extractRelease(ctx));
    staged.delete(ctx.runId);
    const preserve = preserveOf(ctx);
    const previous = known === undefined ? await readManifest(ctx, ctx.from) : known;
    if (!previous)
      ctx.log(
        `no file list of the installed release${ctx.from ? ` ${ctx.from}` : ''} is known, so no old files are removed this time`,
      );
    ctx.log(`building the new tree in ${root} and swapping it with ${folder}, keeping ${preserve.join(', ')}`);
    ctx.progress(85);
    const result = await swapTree({
      staging: root,
      folder,
      preserve,
      previousFiles: previous?.files ?? null,
      previousHashes: previous?.hashes ?? {},
      releaseHashes,
      ...(prepared ? { prepared } : {}),
      old: oldTreeOf(ctx),
      // Journaled before anything in the folder moves: a kill from here on is reverted from it.
      record: async (record) => {
        ctx.state.swap = record;
        await ctx.saveState();
        ctx.progress(90);
      },
      log: (line) => ctx.log(line),
      dataDir: ctx.home.home,
    });
    ctx.progress(100);
    ctx.log(
      `swapped in by ${result.way === 'exchange' ? 'one exchange (renameat2)' : 'two renames'}: ${result.files.length} release files, ${result.carried} paths carried over from the folder, ${result.removed} old files dropped${result.kept.length ? `, ${result.kept.length} changed old files kept` : ''}; the previous tree is at ${result.record.old} until the update is accepted`,
    );
    const manifest: ReleaseManifest = {
      component: ctx.component.id,
      version: ctx.target.version,
      files: result.files,
      hashes: result.hashes,
      written_at: new Date().toISOString(),
    };
    await writeFileAtomic(pendingManifest(ctx), JSON.stringify(manifest));
  },

  async commit(ctx) {
    // The new release's file list becomes known only once the update is accepted.
    const pending = pendingManifest(ctx);
    try {
      await fs.rename(pending, manifestFile(ctx, ctx.target.version));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  },

  /**
   * Put the previous tree back by swapping (no copy), with everything carried out of it, from any
   * point of apply; false when there is nothing to swap back (then the backup is restored).
   */
  async revert(ctx) {
    const record = swapRecordOf(ctx);
    if (!record) return false;
    const reverted = await revertTreeSwap(record);
    if (reverted) ctx.log(`the previous tree of ${record.folder} is back in place (swapped back, nothing copied)`);
    return reverted;
  },

  async previousTree(ctx) {
    const record = swapRecordOf(ctx);
    if (!record) return null;
    const state = await swapState(record);
    return state.swapped && state.oldAt === record.old ? record.old : null;
  },

  async cleanup(ctx) {
    staged.delete(ctx.runId);
    const staging = typeof ctx.state.staging === 'string' ? ctx.state.staging : stagingOf(ctx);
    const record = swapRecordOf(ctx);
    // Never while the folder is absent (between the two renames of a swap): the old tree is all there is.
    if (
      !record ||
      (await fs.lstat(record.folder).then(
        () => true,
        () => false,
      ))
    ) {
      if (record && !(await swapState(record)).swapped) await revertTreeSwap(record);
      // The tree nobody needs now (the previous one after an accepted update, the new one after a
      // revert) is renamed aside and removed in the background: the run's answer does not wait for it.
      const folder = folderOf(ctx);
      // What a process that ended mid-removal left (recovery comes here too).
      await sweepTrash(folder);
      await discardTree(staging, folder, `${ctx.runId}-staging`);
      await discardTree(record?.old ?? oldTreeOf(ctx), folder, `${ctx.runId}-old`);
    }
    await fs.rm(pendingManifest(ctx), { force: true });
  },
});
