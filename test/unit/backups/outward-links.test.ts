import {
  lstatSync,
  mkdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  readFileSync,
  existsSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UpkeepError } from '../../../shared/errors';
import { backupWorld } from './setup';

/**
 * Folders Upkeep backs up often hold links that leave them: a venv's `bin/python3 -> /usr/bin/python3`,
 * an `uploads -> /srv/shared/uploads`. A restore of Upkeep's own backup brings those links back as
 * the manifest recorded them; anything not recorded, or written through such a link, is still refused.
 */
describe("links that leave the folder, in Upkeep's own backups", () => {
  it('come back exactly as recorded (venv interpreter, symlinked uploads)', async () => {
    const { root, folder, services } = backupWorld();
    const shared = path.join(root, 'shared-uploads');
    mkdirSync(shared);
    writeFileSync(path.join(shared, 'photo.jpg'), 'jpeg');
    mkdirSync(path.join(folder, '.venv-like', 'bin'), { recursive: true });
    symlinkSync(process.execPath, path.join(folder, '.venv-like', 'bin', 'python3'));
    symlinkSync(shared, path.join(folder, 'uploads'));
    writeFileSync(path.join(folder, 'app.py'), 'v1');
    const backup = await services.backups.create({ component: 'demo', type: 'full' });

    rmSync(path.join(folder, '.venv-like'), { recursive: true });
    rmSync(path.join(folder, 'uploads'));
    writeFileSync(path.join(folder, 'app.py'), 'v2');
    await services.backups.restore({ backupId: backup.id, safetyBackup: false });

    expect(readFileSync(path.join(folder, 'app.py'), 'utf8')).toBe('v1');
    expect(readlinkSync(path.join(folder, '.venv-like', 'bin', 'python3'))).toBe(process.execPath);
    expect(lstatSync(path.join(folder, 'uploads')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(folder, 'uploads'))).toBe(shared);
    // The shared folder behind the link was never written or emptied.
    expect(readFileSync(path.join(shared, 'photo.jpg'), 'utf8')).toBe('jpeg');
  });

  it('a link the manifest does not record with that target is refused, and the folder is untouched', async () => {
    const { root, home, folder, services } = backupWorld();
    symlinkSync('/usr/bin', path.join(folder, 'tools'));
    writeFileSync(path.join(folder, 'app.py'), 'v1');
    const backup = await services.backups.create({ component: 'demo', type: 'full' });
    // Forge the manifest: the link now claims a different target than the archive holds.
    const manifestFile = path.join(home, 'backups', 'demo', `${backup.id}.json`);
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
      entries: { path: string; linkpath?: string }[];
    };
    for (const entry of manifest.entries) if (entry.path === 'tools') entry.linkpath = '/etc';
    writeFileSync(manifestFile, JSON.stringify(manifest));
    writeFileSync(path.join(folder, 'app.py'), 'v2');
    const error = await services.backups.restore({ backupId: backup.id, safetyBackup: false }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UpkeepError);
    expect(readFileSync(path.join(folder, 'app.py'), 'utf8')).toBe('v2');
    expect(existsSync(path.join(root, 'etc'))).toBe(false);
  });
});
