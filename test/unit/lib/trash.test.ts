import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discardTree, sweepTrash, trashSettled } from '../../../electron/core/lib/trash';
import { tempDir } from '../../helpers/temp';

/** A tree of `files` files in a few folders. */
function tree(root: string, files: number): void {
  for (let i = 0; i < files; i++) {
    const dir = path.join(root, `d${i % 7}`, `e${i % 3}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `f${i}.txt`), `file ${i}\n`);
  }
}

describe('trees nothing needs any more: set aside, removed in the background, swept when left', () => {
  it('discardTree renames the tree beside the folder at once and removes it in the background', async () => {
    const parent = tempDir();
    const folder = path.join(parent, 'webapp');
    const old = path.join(parent, '.webapp.upkeep-old-run1');
    tree(folder, 20);
    tree(old, 500);
    await discardTree(old, folder, 'run1-old');
    // Gone from its own name before the call returns; the trash name may still be there.
    expect(readdirSync(parent).filter((n) => n !== 'webapp' && !n.startsWith('.webapp.upkeep-trash-run1-old'))).toEqual(
      [],
    );
    await trashSettled();
    expect(readdirSync(parent)).toEqual(['webapp']);
    expect(readFileSync(path.join(folder, 'd0', 'e0', 'f0.txt'), 'utf8')).toBe('file 0\n');
  });

  it('discardTree of a tree that is not there does nothing', async () => {
    const parent = tempDir();
    const folder = path.join(parent, 'webapp');
    mkdirSync(folder);
    await discardTree(path.join(parent, '.webapp.upkeep-staging-none'), folder, 'none');
    await trashSettled();
    expect(readdirSync(parent)).toEqual(['webapp']);
  });

  it('sweepTrash removes what a killed process left under the folder’s trash names, and nothing else', async () => {
    const parent = tempDir();
    const folder = path.join(parent, 'webapp');
    tree(folder, 10);
    tree(path.join(parent, '.webapp.upkeep-trash-run1-old'), 200);
    tree(path.join(parent, '.webapp.upkeep-trash-run2-staging'), 50);
    // Another folder's trash, and names that only look alike, are not this folder's.
    tree(path.join(parent, '.other.upkeep-trash-run3-old'), 5);
    tree(path.join(parent, 'webapp.upkeep-trash-run4'), 5);
    const swept = await sweepTrash(folder);
    expect(swept.map((p) => path.basename(p)).sort()).toEqual([
      '.webapp.upkeep-trash-run1-old',
      '.webapp.upkeep-trash-run2-staging',
    ]);
    expect(readdirSync(parent).sort()).toEqual(['.other.upkeep-trash-run3-old', 'webapp', 'webapp.upkeep-trash-run4']);
    expect(readdirSync(path.join(folder, 'd0', 'e0'))).toContain('f0.txt');
  });
});
