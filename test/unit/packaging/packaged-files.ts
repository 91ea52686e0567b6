import { createRequire } from 'node:module';
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../helpers/cli';

/**
 * What electron-builder would put in app.asar, computed with electron-builder's own pieces (its
 * config loader, its FileMatcher and its npm production-dependency collector) instead of a copy
 * of their rules. Packaging itself cannot run here: it needs Electron's release download.
 */
const require = createRequire(import.meta.url);
const builderConfig = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, fromOptions: unknown): Promise<BuilderConfig>;
  validateConfiguration(config: unknown, logger: unknown): Promise<void>;
};
const { DebugLogger, TmpDir } = require('builder-util') as {
  DebugLogger: new (enabled: boolean) => unknown;
  TmpDir: new (name: string) => { cleanup(): Promise<void> };
};
const { FileMatcher, excludedNames, excludedExts } = require('app-builder-lib/out/fileMatcher.js') as {
  FileMatcher: new (
    from: string,
    to: string,
    expand: (p: string) => string,
    patterns?: string[],
  ) => {
    patterns: string[];
    addPattern(p: string): void;
    prependPattern(p: string): void;
    createFilter(): (file: string, stat: Stats) => boolean;
  };
  excludedNames: string;
  excludedExts: string;
};
const { getCollectorByPackageManager } = require('app-builder-lib/out/node-module-collector/index.js') as {
  getCollectorByPackageManager(
    pm: string,
    dir: string,
    tmp: unknown,
  ): { getNodeModules(o: { packageName: string }): Promise<{ nodeModules: ModuleInfo[] }> };
};

export interface BuilderConfig {
  files?: (string | { from?: string; filter?: string | string[] })[];
  directories?: { output?: string; buildResources?: string };
  electronFuses?: Record<string, boolean>;
  linux?: Record<string, unknown> & { desktop?: { entry?: Record<string, string> } };
  [key: string]: unknown;
}
interface ModuleInfo {
  name: string;
  version: string;
  dir: string;
  dependencies?: ModuleInfo[];
}

export async function loadBuilderConfig(): Promise<BuilderConfig> {
  return builderConfig.getConfig(repoRoot, null, null);
}

export async function validateBuilderConfig(config: unknown): Promise<void> {
  await builderConfig.validateConfiguration(config, new DebugLogger(false));
}

/** The `files` patterns for the app root (getConfig turns the list into `[{filter: [...]}]`). */
export function filePatterns(config: BuilderConfig): string[] {
  return (config.files ?? []).flatMap((f) => {
    if (typeof f === 'string') return [f];
    if (f.from !== undefined && f.from !== '.') return [];
    return f.filter === undefined ? [] : Array.isArray(f.filter) ? f.filter : [f.filter];
  });
}

async function walk(
  dir: string,
  onFile: (file: string, stat: Stats) => void,
  skip: (rel: string) => boolean,
  root = dir,
): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const rel = path.relative(root, full);
    if (skip(rel)) continue;
    const stat = await fs.lstat(full);
    if (stat.isDirectory()) await walk(full, onFile, skip, root);
    else if (stat.isFile()) onFile(full, stat);
  }
}

/** The files electron-builder's matcher takes from the project (not node_modules), with the defaults it adds. */
export async function appFiles(config: BuilderConfig): Promise<{ rel: string; size: number }[]> {
  const expand = (p: string) => p.replace(/\$\{\/\*\}/g, '{,/**/*}');
  const matcher = new FileMatcher(repoRoot, '/app', expand, filePatterns(config));
  // The exclusions electron-builder appends in getMainFileMatchers (fileMatcher.js).
  matcher.addPattern(`!${config.directories?.buildResources ?? 'build'}{,/**/*}`);
  matcher.addPattern(`!${config.directories?.output ?? 'dist'}{,/**/*}`);
  matcher.addPattern(`!**/*.{${excludedExts},pdb}`);
  matcher.addPattern('!**/._*');
  matcher.addPattern('!**/electron-builder.{yaml,yml,json,json5,toml,ts}');
  matcher.addPattern(`!**/{${excludedNames}}`);
  const filter = matcher.createFilter();
  const out: { rel: string; size: number }[] = [];
  await walk(
    repoRoot,
    (file, stat) => {
      if (filter(file, stat))
        out.push({ rel: path.relative(repoRoot, file).split(path.sep).join('/'), size: stat.size });
    },
    (rel) => rel === 'node_modules' || rel === '.git' || rel.startsWith('.tsbuild'),
  );
  return out.sort((a, b) => a.rel.localeCompare(b.rel));
}

/** Production modules as electron-builder's npm collector sees them, minus those the `files` excludes remove. */
export async function productionModules(
  config: BuilderConfig,
): Promise<{ included: ModuleInfo[]; excluded: ModuleInfo[]; files: number; bytes: number; paths: string[] }> {
  const tmp = new TmpDir('upkeep-packaging-test');
  try {
    const { nodeModules } = await getCollectorByPackageManager('npm', repoRoot, tmp).getNodeModules({
      packageName: 'upkeep',
    });
    const flat: ModuleInfo[] = [];
    const visit = (m: ModuleInfo) => {
      flat.push(m);
      m.dependencies?.forEach(visit);
    };
    nodeModules.forEach(visit);
    // getNodeModuleFileMatcher: only the `!` patterns of `files` apply to node_modules, after `**/*`.
    const matcher = new FileMatcher(repoRoot, '/app', (p) => p.replace(/\$\{\/\*\}/g, '{,/**/*}'));
    for (const p of filePatterns(config)) if (p.startsWith('!')) matcher.addPattern(p);
    matcher.prependPattern('**/*');
    const filter = matcher.createFilter();
    const included: ModuleInfo[] = [];
    const excluded: ModuleInfo[] = [];
    let files = 0;
    let bytes = 0;
    const paths: string[] = [];
    for (const m of flat) {
      const stat = await fs.stat(m.dir);
      if (!filter(m.dir, stat)) {
        excluded.push(m);
        continue;
      }
      included.push(m);
      // NodeModuleCopyHelper also drops a module's top-level README, test and example folders.
      await walk(
        m.dir,
        (file, st) => {
          if (!filter(file, st)) return;
          paths.push(file);
          files++;
          bytes += st.size;
        },
        (rel) =>
          rel === 'node_modules' ||
          (!rel.includes(path.sep) && /^(readme(\.md|\.markdown)?|test|tests|__tests__|examples?|\.bin)$/i.test(rel)),
      );
    }
    return { included, excluded, files, bytes, paths };
  } finally {
    await tmp.cleanup();
  }
}

/**
 * The deb target's package metadata and the desktop entry it writes, computed by electron-builder's
 * own Packager, LinuxPackager, LinuxTargetHelper and FpmTarget (the steps before Electron is needed).
 */
export async function debTargetPreview(): Promise<{
  meta: { name: string; maintainer: string; url: string; vendor: string };
  desktopEntry: string;
}> {
  const lib = require('app-builder-lib') as {
    Packager: new (o: unknown) => { validateConfig(): Promise<void>; _appInfo: unknown };
    LinuxPackager: new (p: unknown) => unknown;
    Platform: { LINUX: { createTarget(t: string[]): unknown } };
  };
  const { AppInfo } = require('app-builder-lib/out/appInfo.js') as { AppInfo: new (p: unknown, v: null) => unknown };
  const { LinuxTargetHelper } = require('app-builder-lib/out/targets/LinuxTargetHelper.js') as {
    LinuxTargetHelper: new (p: unknown) => { computeDesktopEntry(o: unknown): Promise<string> };
  };
  const FpmTarget = (
    require('app-builder-lib/out/targets/FpmTarget.js') as {
      default: new (
        n: string,
        p: unknown,
        h: unknown,
        out: string,
      ) => { options: unknown; checkOptions(): Promise<unknown> };
    }
  ).default;
  const packager = new lib.Packager({ projectDir: repoRoot, targets: lib.Platform.LINUX.createTarget(['deb']) });
  await packager.validateConfig();
  packager._appInfo = new AppInfo(packager, null); // what Packager.build does right after validateConfig
  const linux = new lib.LinuxPackager(packager);
  const helper = new LinuxTargetHelper(linux);
  const target = new FpmTarget('deb', linux, helper, path.join(repoRoot, 'release'));
  const meta = (await target.checkOptions()) as { name: string; maintainer: string; url: string; vendor: string };
  return { meta, desktopEntry: await helper.computeDesktopEntry(target.options) };
}

/**
 * Pack the computed files into a real app.asar with @electron/asar (what electron-builder ships),
 * laid out as on disk: project files at the root, modules under node_modules/.
 */
export async function packAsar(projectFiles: string[], modulePaths: string[], workDir: string): Promise<string> {
  const asar = require('@electron/asar') as { createPackage(src: string, dest: string): Promise<unknown> };
  const stage = path.join(workDir, 'app');
  for (const file of [...projectFiles.map((rel) => path.join(repoRoot, rel)), ...modulePaths]) {
    const dest = path.join(stage, path.relative(repoRoot, file));
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.copyFile(file, dest);
  }
  const out = path.join(workDir, 'app.asar');
  await asar.createPackage(stage, out);
  return out;
}
