import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { walkDirs } from '../../../electron/core/lib/walk-dirs';
import { tempDir } from '../../helpers/temp';

/** Every folder walkDirs lists and every entry it sees, as sorted relative paths. */
async function walked(root: string, atOnce?: number): Promise<{ dirs: string[]; entries: string[] }> {
  const dirs: string[] = [];
  const entries: string[] = [];
  await walkDirs(
    root,
    (rel, list) => {
      dirs.push(rel);
      const sub: string[] = [];
      for (const d of list) {
        const child = rel ? `${rel}/${d.name}` : d.name;
        entries.push(`${d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'link' : 'file'} ${child}`);
        if (d.isDirectory()) sub.push(child);
      }
      return sub;
    },
    atOnce,
  );
  return { dirs: dirs.sort(), entries: entries.sort() };
}

describe('walkDirs', () => {
  it('lists every folder once, many at a time, and never follows a link', async () => {
    const root = tempDir();
    for (let i = 0; i < 40; i++) {
      mkdirSync(path.join(root, `d${i}`, 'sub', 'deeper'), { recursive: true });
      writeFileSync(path.join(root, `d${i}`, 'sub', 'deeper', 'f.txt'), `${i}`);
    }
    mkdirSync(path.join(root, 'outside-target'));
    writeFileSync(path.join(root, 'outside-target', 'x'), 'x');
    symlinkSync(path.join(root, 'outside-target'), path.join(root, 'd0', 'link-to-dir'));
    const want = [''];
    for (let i = 0; i < 40; i++) want.push(`d${i}`, `d${i}/sub`, `d${i}/sub/deeper`);
    want.push('outside-target');
    for (const atOnce of [1, 3, 16]) {
      const { dirs, entries } = await walked(root, atOnce);
      expect(dirs).toEqual(want.sort());
      expect(entries).toContain('link d0/link-to-dir');
      expect(entries.filter((e) => e.startsWith('file '))).toHaveLength(41);
    }
  });

  it('an empty folder is walked at once; a folder that cannot be listed fails the walk', async () => {
    const root = tempDir();
    expect(await walked(root)).toEqual({ dirs: [''], entries: [] });
    await expect(walked(path.join(root, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    if (process.getuid?.() !== 0) {
      mkdirSync(path.join(root, 'locked'));
      chmodSync(path.join(root, 'locked'), 0o000);
      await expect(walked(root)).rejects.toMatchObject({ code: 'EACCES' });
      chmodSync(path.join(root, 'locked'), 0o755);
    }
  });

  it('an error thrown by the visitor fails the walk with that error', async () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
    const boom = new Error('visitor refused');
    await expect(
      walkDirs(root, (rel, list) => {
        if (rel === 'a') throw boom;
        return list.filter((d) => d.isDirectory()).map((d) => (rel ? `${rel}/${d.name}` : d.name));
      }),
    ).rejects.toBe(boom);
  });
});
