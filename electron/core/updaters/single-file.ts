import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import { assertApartFromDataDir } from '../lib/data-dir';
import { writeFileAtomic } from '../lib/fs-atomic';
import { downloadFile, safeUrl } from './lib/download';
import { substitute } from './lib/placeholders';
import { downloadOptions, verifyReleaseFile } from './lib/release-files';
import { newSnapshotId, readSnapshot, writeSnapshot } from './lib/snapshots';
import { defineUpdater, type OwnContext } from './types';
import { errnoCode } from '../lib/error-info';
import { isRecord } from '../../../shared/guards';

interface FileSnapshot {
  kind: 'single-file';
  file: string;
  /** null: the file did not exist before the update. */
  content_base64: string | null;
  mode: number | null;
}

const fileSnapshotSchema = z.object({
  kind: z.literal('single-file'),
  file: z.string().min(1),
  content_base64: z.string().nullable(),
  mode: z.number().int().nullable(),
}) satisfies z.ZodType<FileSnapshot>;

function sourceUrl(ctx: OwnContext<'single_file'>): string {
  const url = ctx.config.url;
  if (!url)
    throw new UpkeepError('INVALID_CONFIG', `${ctx.component.id}: set \`url\` to where the file is downloaded from.`);
  return substitute(url, { target: ctx.target.tag ?? ctx.target.version, target_version: ctx.target.version });
}

function destination(ctx: OwnContext<'single_file'>): string {
  const file = ctx.config.file;
  if (file)
    return path.isAbsolute(file) || !ctx.config.folder ? path.resolve(file) : path.join(ctx.config.folder, file);
  const name = decodeURIComponent(new URL(sourceUrl(ctx), 'file:///').pathname.split('/').pop() ?? '');
  if (!name || !ctx.config.folder)
    throw new UpkeepError('INVALID_CONFIG', `${ctx.component.id}: set \`file\` to where the downloaded file goes.`);
  return path.join(ctx.config.folder, name);
}

/** The file this method replaces never lies within Upkeep's data directory, whatever the config or a snapshot says. */
function refuseDataDir(ctx: OwnContext<'single_file'>, file: string): string {
  assertApartFromDataDir(file, ctx.home.home, {
    what: `The file of ${ctx.component.id} cannot be replaced`,
    component: ctx.component.id,
    field: `components.${ctx.component.id}.file`,
  });
  return file;
}

function downloaded(ctx: OwnContext<'single_file'>): { file: string; sha256: string } {
  const d = ctx.state.download;
  if (!isRecord(d) || typeof d.file !== 'string' || typeof d.sha256 !== 'string')
    throw new UpkeepError('INTERNAL', 'The download step did not run before verify/apply.');
  return { file: d.file, sha256: d.sha256 };
}

/** OctoPrint's single_file_plugin: download one file, verify it, replace the installed one atomically. */
export const singleFileUpdater = defineUpdater<'single_file'>({
  method: 'single_file',

  // The file itself is backed up (a snapshot), not the folder it sits in.
  folder() {
    return null;
  },

  async preflight(ctx) {
    const dest = refuseDataDir(ctx, destination(ctx));
    await fs.access(path.dirname(dest), fs.constants.W_OK).catch(() => {
      throw new UpkeepError('FORBIDDEN', `Cannot write to ${path.dirname(dest)}. Check its permissions.`);
    });
  },

  async download(ctx) {
    const url = sourceUrl(ctx);
    await fs.mkdir(ctx.workDir, { recursive: true });
    const file = path.join(ctx.workDir, 'download');
    ctx.log(`downloading ${safeUrl(url)}`);
    const result = await downloadFile(url, file, {
      ...downloadOptions(ctx),
      // The url is the user's own config, so a local path or file: URL is allowed here.
      allowLocal: true,
      maxBytes: 256 * 1024 * 1024,
      onProgress: (received, total) => total && ctx.progress((received / total) * 100),
    });
    ctx.state.download = { file: result.file, sha256: result.sha256 };
    await ctx.saveState();
    ctx.log(`downloaded ${result.size} bytes`);
  },

  async verify(ctx) {
    const { file, sha256 } = downloaded(ctx);
    await verifyReleaseFile(ctx, file, sha256, {
      url: sourceUrl(ctx),
      name: path.basename(destination(ctx)),
      sourceTarball: false,
    });
  },

  async apply(ctx) {
    const { file } = downloaded(ctx);
    const dest = refuseDataDir(ctx, destination(ctx));
    const mode = await fs.stat(dest).then(
      (s) => s.mode & 0o777,
      () => 0o644,
    );
    await writeFileAtomic(dest, await fs.readFile(file), { mode });
    await fs.chmod(dest, mode);
    ctx.log(`replaced ${dest}`);
  },

  snapshot: {
    async create(ctx) {
      const dest = destination(ctx);
      const id = newSnapshotId('file');
      let snapshot: FileSnapshot;
      try {
        const [content, st] = await Promise.all([fs.readFile(dest), fs.stat(dest)]);
        snapshot = {
          kind: 'single-file',
          file: dest,
          content_base64: content.toString('base64'),
          mode: st.mode & 0o777,
        };
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
        snapshot = { kind: 'single-file', file: dest, content_base64: null, mode: null };
      }
      await writeSnapshot(ctx, id, snapshot);
      ctx.log(`saved ${dest} (backup ${id})`);
      return id;
    },
    async restore(ctx, backupId) {
      const snapshot = await readSnapshot(ctx, backupId, fileSnapshotSchema);
      refuseDataDir(ctx, snapshot.file);
      if (snapshot.content_base64 === null) {
        await fs.rm(snapshot.file, { force: true });
        ctx.log(`removed ${snapshot.file}: it did not exist before the update`);
        return;
      }
      await writeFileAtomic(snapshot.file, Buffer.from(snapshot.content_base64, 'base64'), {
        mode: snapshot.mode ?? 0o644,
      });
      await fs.chmod(snapshot.file, snapshot.mode ?? 0o644);
      ctx.log(`restored ${snapshot.file} from backup ${backupId}`);
    },
  },
});
