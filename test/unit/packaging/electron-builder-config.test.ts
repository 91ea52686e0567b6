import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli';
import { filePatterns, loadBuilderConfig, validateBuilderConfig, type BuilderConfig } from './packaged-files';

const require = createRequire(import.meta.url);
const { FuseV1Options } = require('@electron/fuses') as { FuseV1Options: Record<string, number | string> };
const { PlatformPackager } = require('app-builder-lib') as {
  PlatformPackager: { prototype: { generateFuseConfig(fuses: unknown): Promise<Record<string | number, unknown>> } };
};

let config: BuilderConfig;
beforeAll(async () => {
  config = await loadBuilderConfig();
});

describe('electron-builder configuration', () => {
  it("validates against electron-builder's own schema", async () => {
    await expect(validateBuilderConfig(config)).resolves.toBeUndefined();
  });

  it('the same validator rejects a misspelt option and a wrong type (so the check above means something)', async () => {
    await expect(validateBuilderConfig({ ...config, electronFusez: {} })).rejects.toThrow(/electronFusez/);
    await expect(validateBuilderConfig({ ...config, electronFuses: { runAsNode: 'no' } })).rejects.toThrow(/runAsNode/);
  });

  it('builds AppImage and deb on Linux, NSIS on Windows, dmg on macOS, with the icons from build/', () => {
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect((config.win as { target: unknown }).target).toBe('nsis');
    expect((config.mac as { target: unknown }).target).toBe('dmg');
    expect(config.directories?.buildResources).toBe('build');
    expect(config.linux?.icon).toBe('build/icons');
    expect((config.win as { icon: string }).icon).toBe('build/icon.ico');
    expect((config.mac as { icon: string }).icon).toBe('build/icon.icns');
    expect(config.asar).toBe(true);
  });

  it('sets the fuses: no RunAsNode, no NODE_OPTIONS, no --inspect, asar integrity, app only from asar, encrypted cookies', async () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: true,
    });
    // What electron-builder hands @electron/fuses after packing (its own translation, not ours).
    const wire = await PlatformPackager.prototype.generateFuseConfig.call(null, config.electronFuses);
    expect(wire[FuseV1Options.RunAsNode as number]).toBe(false);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable as number]).toBe(false);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments as number]).toBe(false);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation as number]).toBe(true);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar as number]).toBe(true);
    expect(wire[FuseV1Options.EnableCookieEncryption as number]).toBe(true);
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges as number]).toBe(true);
    expect(wire[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot as number]).toBeUndefined();
  });

  it('packs only the built bundles and package.json from the project', () => {
    const patterns = filePatterns(config);
    expect(patterns.filter((p) => !p.startsWith('!'))).toEqual([
      'package.json',
      'dist/electron/**',
      'dist/renderer/**',
      'dist/cli.mjs',
      'dist/backup-worker.mjs',
    ]);
    expect(patterns).toContain('!**/*.map');
  });

  it('`npm run dist` builds the bundles, then runs electron-builder without publishing; package.json names the repository', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      repository: { url: string };
      main: string;
    };
    expect(pkg.scripts.dist).toBe('node scripts/build.mjs && electron-builder --publish never');
    expect(pkg.repository.url).toMatch(/^git\+https:\/\/github\.com\/[^/]+\/[^/]+\.git$/);
    expect(pkg.main.startsWith('dist/electron/')).toBe(true);
  });
});
