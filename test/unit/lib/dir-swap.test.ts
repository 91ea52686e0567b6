import { mkdirSync, readFileSync, writeFileSync, existsSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_EXCHANGE_ENV, exchangePaths, swapIn, swapState, treeInode } from '../../../electron/core/lib/dir-swap';
import { tempDir } from '../../helpers/temp';

function tree(dir: string, marker: string): string {
  mkdirSync(path.join(dir, 'sub'), { recursive: true });
  writeFileSync(path.join(dir, 'sub', 'marker'), marker);
  return dir;
}
const marker = (dir: string) => readFileSync(path.join(dir, 'sub', 'marker'), 'utf8');

afterEach(() => {
  delete process.env[NO_EXCHANGE_ENV];
});

describe('directory swap', () => {
  it('exchanges two folders in one step with renameat2 on Linux (the folder is never absent)', async () => {
    const root = tempDir('upkeep-swap-');
    const a = tree(path.join(root, 'a'), 'A');
    const b = tree(path.join(root, 'b'), 'B');
    const inoA = statSync(a).ino;
    const exchanged = await exchangePaths(a, b);
    if (process.platform !== 'linux') return expect(exchanged).toBe(false);
    expect(exchanged).toBe(true);
    expect(marker(a)).toBe('B');
    expect(marker(b)).toBe('A');
    expect(statSync(b).ino).toBe(inoA);
  });

  it('reports a missing path as an error with its errno code, changing nothing', async () => {
    if (process.platform !== 'linux') return;
    const root = tempDir('upkeep-swap-');
    const a = tree(path.join(root, 'a'), 'A');
    await expect(exchangePaths(a, path.join(root, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(marker(a)).toBe('A');
  });

  for (const forced of [false, true]) {
    it(`swapIn puts the new tree in place and the old one aside (${forced ? 'two renames, forced' : 'exchange where available'})`, async () => {
      if (forced) process.env[NO_EXCHANGE_ENV] = '1';
      const root = tempDir('upkeep-swap-');
      const folder = tree(path.join(root, 'app'), 'old');
      const staging = tree(path.join(root, '.app.staging'), 'new');
      const old = path.join(root, '.app.old');
      const newIno = await treeInode(staging);
      const way = await swapIn({ folder, staging, old });
      expect(way).toBe(forced || process.platform !== 'linux' ? 'renames' : 'exchange');
      expect(marker(folder)).toBe('new');
      expect(marker(old)).toBe('old');
      expect(existsSync(staging)).toBe(false);
      expect(await swapState({ folder, staging, old, new_ino: newIno })).toEqual({
        swapped: true,
        newAt: folder,
        oldAt: old,
      });
    });
  }

  it('swapState tells every interrupted state apart from the disk alone', async () => {
    const root = tempDir('upkeep-swap-');
    const folder = tree(path.join(root, 'app'), 'old');
    const staging = tree(path.join(root, '.app.staging'), 'new');
    const old = path.join(root, '.app.old');
    const record = { folder, staging, old, new_ino: await treeInode(staging) };
    // Before anything moved.
    expect(await swapState(record)).toEqual({ swapped: false, oldAt: folder, newAt: staging });
    // Between the two renames of the fallback.
    renameSync(folder, old);
    expect(await swapState(record)).toEqual({ swapped: false, oldAt: old, newAt: staging });
    renameSync(old, folder);
    // Right after an exchange, before the old tree was renamed aside.
    expect(await exchangePaths(staging, folder)).toBe(process.platform === 'linux');
    if (process.platform === 'linux')
      expect(await swapState(record)).toEqual({ swapped: true, newAt: folder, oldAt: staging });
  });
});
