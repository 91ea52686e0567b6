import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli';
import { tempDir } from '../../helpers/temp';
import { appFiles, loadBuilderConfig, packAsar, productionModules, type BuilderConfig } from './packaged-files';

const BUNDLES = {
  main: 'dist/electron/main.mjs',
  preload: 'dist/electron/preload.cjs',
  cli: 'dist/cli.mjs',
  backupWorker: 'dist/backup-worker.mjs',
  renderer: 'dist/renderer/index.html',
} as const;

let config: BuilderConfig;
let files: { rel: string; size: number }[];
let modules: Awaited<ReturnType<typeof productionModules>>;
let asarBytes = 0;
const require = createRequire(import.meta.url);
beforeAll(async () => {
  // The real build (esbuild + Vite) for whatever is missing; packaging packs its output.
  for (const [target, file] of Object.entries(BUNDLES)) {
    if (existsSync(path.join(repoRoot, file))) continue;
    const built = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs'), target], {
      encoding: 'utf8',
      cwd: repoRoot,
    });
    if (built.status !== 0) throw new Error(`build ${target} failed: ${built.stderr}`);
  }
  config = await loadBuilderConfig();
  files = await appFiles(config);
  modules = await productionModules(config);
}, 120_000);

/**
 * Bare package names a bundle imports (static, dynamic and require), e.g. `conf`, `@scope/x`. A
 * specifier has no spaces, commas or braces, so a message that ends in the word "from" is not one.
 */
function importedPackages(file: string): string[] {
  const text = readFileSync(path.join(repoRoot, file), 'utf8');
  const names = new Set<string>();
  for (const m of text.matchAll(
    /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"'./\s,{}][^"'\s,{}]*)["']/gm,
  )) {
    const spec = m[1] as string;
    if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0] as string)) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string));
  }
  return [...names].sort();
}

describe('what goes into app.asar', () => {
  it('from the project: the main, preload, renderer, CLI and backup-worker bundles, the tray icons and package.json, nothing else', () => {
    const rels = files.map((f) => f.rel);
    expect(rels).toEqual(
      expect.arrayContaining([
        'package.json',
        BUNDLES.main,
        BUNDLES.preload,
        BUNDLES.cli,
        BUNDLES.backupWorker,
        BUNDLES.renderer,
      ]),
    );
    for (const rel of rels)
      expect(
        rel === 'package.json' ||
          /^dist\/(electron\/(main\.mjs|preload\.cjs|backup-worker\.mjs|tray-(16|32)\.png)|cli\.mjs|backup-worker\.mjs|renderer\/.+)$/.test(
            rel,
          ),
        rel,
      ).toBe(true);
    expect(
      rels.filter(
        (r) =>
          /\.(map|ts|tsx)$/.test(r) ||
          /^(electron|shared|renderer|test|docs|bench|scripts|build)\//.test(r) ||
          /README/i.test(r),
      ),
    ).toEqual([]);
    expect(existsSync(path.join(repoRoot, `${BUNDLES.main}.map`))).toBe(true); // maps exist on disk, and stay out
  });

  it('from node_modules: the production dependencies only; the renderer-only packages are left out', () => {
    const names = modules.included.map((m) => m.name);
    for (const runtime of ['conf', 'electron-store', 'semver', 'tar', 'undici', 'yaml', 'zod'])
      expect(names).toContain(runtime);
    for (const dev of [
      'electron',
      'electron-builder',
      'vitest',
      'typescript',
      'playwright',
      'esbuild',
      'vite',
      'eslint',
      'tsx',
    ])
      expect(names).not.toContain(dev);
    expect(modules.excluded.map((m) => m.name).sort()).toEqual(['react', 'react-dom', 'scheduler', 'zustand']);
  });

  it('every package the main, preload and CLI bundles import is in the asar (so leaving React out is safe)', () => {
    const packed = new Set([...modules.included.map((m) => m.name), 'electron']);
    for (const bundle of [BUNDLES.main, BUNDLES.preload, BUNDLES.cli, BUNDLES.backupWorker]) {
      const missing = importedPackages(bundle).filter((name) => !packed.has(name));
      expect(missing, `${bundle} imports packages that would not be packed`).toEqual([]);
    }
    expect(importedPackages(BUNDLES.preload)).toEqual(['electron']); // a sandboxed preload may only require electron
  });

  it('packs into a real app.asar whose package.json main is inside it', async () => {
    const out = await packAsar(
      files.map((f) => f.rel),
      modules.paths,
      tempDir('upkeep-asar-'),
    );
    const asar = require('@electron/asar') as {
      listPackage(p: string, o: object): string[];
      extractFile(p: string, f: string): Buffer;
    };
    const listed = asar.listPackage(out, {}).map((p) => p.replace(/\\/g, '/'));
    const pkg = JSON.parse(asar.extractFile(out, 'package.json').toString('utf8')) as { main: string };
    expect(listed).toContain(`/${pkg.main}`);
    expect(listed).toContain('/dist/electron/preload.cjs');
    expect(listed).toContain('/node_modules/zod/package.json');
    expect(listed.some((p) => p.startsWith('/node_modules/react/'))).toBe(false);
    asarBytes = statSync(out).size;
  });

  it('reports the size of the asar contents', () => {
    const appBytes = files.reduce((n, f) => n + f.size, 0);
    const summary = {
      project_files: files.length,
      project_bytes: appBytes,
      modules: modules.included.length,
      module_files: modules.files,
      module_bytes: modules.bytes,
      total_files: files.length + modules.files,
      total_mib: Number(((appBytes + modules.bytes) / 1048576).toFixed(2)),
      asar_mib: Number((asarBytes / 1048576).toFixed(2)),
    };
    console.log(`asar contents: ${JSON.stringify(summary)}`);
    expect(summary.total_files).toBeGreaterThan(files.length);
    // A budget, not a timing: the asar should stay small; raise it deliberately if a dependency is added.
    expect(summary.total_mib).toBeLessThan(40);
    expect(summary.asar_mib).toBeGreaterThanOrEqual(summary.total_mib * 0.95);
  });
});
