import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A disk that really fills: a small tmpfs mounted for a test (needs root). canMountTmpfs() says
 * whether this machine allows it, so a suite can say so and skip.
 */
export function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = path.join('/tmp', `upkeep-mount-probe-${process.pid}`);
  mkdirSync(probe, { recursive: true });
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
}

const mounted: string[] = [];

export function mountTmpfs(dir: string, size = '8m'): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounted.push(dir);
}

/** Unmount everything mountTmpfs mounted (lazily: a test that failed may still hold files open). */
export function unmountAll(): void {
  for (const dir of mounted.splice(0).reverse()) spawnSync('umount', ['-l', dir]);
}

/**
 * Fill the disk under `dir` the first time `on` calls back, leaving 256 KiB (`filler.bin` in
 * `dir`): for work whose free-space check has passed once it reports progress. Returns whether it
 * has filled.
 */
export function fillOnFirst(on: (listener: () => void) => void, dir: string): () => boolean {
  let filled = false;
  on(() => {
    if (filled) return;
    filled = true;
    const st = statfsSync(dir);
    writeFileSync(path.join(dir, 'filler.bin'), Buffer.alloc(Math.max(0, st.bavail * st.bsize - 256 * 1024)));
  });
  return () => filled;
}
