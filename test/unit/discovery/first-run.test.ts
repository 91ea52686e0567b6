import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../../electron/core/api';
import {
  ensureFirstRun,
  FIRST_RUN_MARKER,
  SELF_ID,
  selfComponentConfig,
  selfRepository,
} from '../../../electron/core/discovery/first-run';
import { appPackage } from '../../../electron/core/lib/app-version';
import { createServices } from '../../../electron/core/services';
import { invokeMethod } from '../../../shared/contract';
import { repoRoot } from '../../helpers/cli';
import { FakeGitHub } from '../../fixtures/servers/github';
import { tempDir } from '../../helpers/temp';

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
  repository: { url: string };
};

describe('first run: Upkeep tracks itself', () => {
  it("reads its own GitHub repository from package.json's repository field", () => {
    const match = /github\.com\/([^/]+)\/([^/.]+)/.exec(pkg.repository.url);
    expect(selfRepository()).toEqual({ user: match?.[1], repo: match?.[2] });
  });

  it('adds `upkeep` (its GitHub releases, running version, no update method) on a fresh data directory, once', async () => {
    const home = tempDir();
    const services = createServices({ home, host: 'cli' });
    const seen: string[][] = [];
    services.events.on('components_changed', (p: { ids: string[] }) => seen.push(p.ids));
    expect(await ensureFirstRun(services)).toEqual({ first_run: true, added: [SELF_ID], refreshed_current: false });
    const self = services.components.get(SELF_ID);
    expect(self.config).toEqual({
      name: 'Upkeep',
      type: 'github_release',
      user: selfRepository().user,
      repo: selfRepository().repo,
      release_compare: 'semantic',
      current: pkg.version,
    });
    expect(self.method).toBeNull();
    expect(appPackage().version).toBe(pkg.version);
    expect(seen).toEqual([[SELF_ID]]);
    expect(JSON.parse(readFileSync(path.join(home, FIRST_RUN_MARKER), 'utf8'))).toMatchObject({ version: pkg.version });

    // Second start, and a new process on the same data directory: nothing more happens.
    expect(await ensureFirstRun(services)).toEqual({ first_run: false, added: [], refreshed_current: false });
    const again = createServices({ home, host: 'http' });
    expect(await ensureFirstRun(again)).toEqual({ first_run: false, added: [], refreshed_current: false });
    expect(again.components.list().components.map((c) => c.id)).toEqual([SELF_ID]);
  });

  it('respects a removed self entry: it is not added back on the next start', async () => {
    const home = tempDir();
    const services = createServices({ home, host: 'desktop' });
    await ensureFirstRun(services);
    const api = createApi(services);
    await invokeMethod(api, 'removeComponent', { id: SELF_ID }, { initiatedBy: 'panel', readOnly: false });
    expect(await ensureFirstRun(createServices({ home, host: 'desktop' }))).toMatchObject({
      first_run: false,
      added: [],
    });
    expect(createServices({ home, host: 'cli' }).components.list().components).toEqual([]);
  });

  it('a data directory that already has components gets the marker but not the entry', async () => {
    const home = tempDir();
    const services = createServices({ home, host: 'cli' });
    services.components.add({ bot: { type: 'git_commit', folder: '/opt/bot', method: 'git' } });
    expect(await ensureFirstRun(services)).toEqual({ first_run: true, added: [], refreshed_current: false });
    expect(existsSync(path.join(home, FIRST_RUN_MARKER))).toBe(true);
    services.components.remove('bot');
    expect(await ensureFirstRun(services)).toMatchObject({ first_run: false, added: [] });
    expect(services.components.list().components).toEqual([]);
  });

  it('two hosts starting together add the entry exactly once', async () => {
    const home = tempDir();
    const a = createServices({ home, host: 'desktop' });
    const b = createServices({ home, host: 'cli' });
    const results = await Promise.all([ensureFirstRun(a), ensureFirstRun(b)]);
    expect(results.filter((r) => r.first_run)).toHaveLength(1);
    expect(results.flatMap((r) => r.added)).toEqual([SELF_ID]);
  });

  it("keeps the self entry's current version equal to the running version after the user installs a new package", async () => {
    const home = tempDir();
    const services = createServices({ home, host: 'desktop' });
    await ensureFirstRun(services, { version: '0.1.0' });
    expect(await ensureFirstRun(services, { version: '0.2.0' })).toEqual({
      first_run: false,
      added: [],
      refreshed_current: true,
    });
    expect(services.components.get(SELF_ID).config.current).toBe('0.2.0');
    // An entry the user changed into something else (e.g. gave it a method) is left alone.
    services.components.update(SELF_ID, {
      ...services.components.get(SELF_ID).config,
      method: 'update_script',
      update_script: ['true'],
    });
    expect(await ensureFirstRun(services, { version: '0.3.0' })).toMatchObject({ refreshed_current: false });
    expect(services.components.get(SELF_ID).config.current).toBe('0.2.0');
  });

  it("is checked against Upkeep's own GitHub releases by the github_release checker", async () => {
    const gh = await FakeGitHub.start();
    try {
      const { user, repo } = selfRepository();
      gh.addRelease(user, repo, { tag_name: `v${pkg.version}` });
      gh.addRelease(user, repo, { tag_name: 'v99.0.0' });
      gh.addRelease(user, repo, { tag_name: 'v100.0.0-beta.1', prerelease: true });
      const services = createServices({ home: tempDir(), host: 'desktop' });
      const api = createApi(services);
      const ctx = { initiatedBy: 'panel' as const, readOnly: false };
      await invokeMethod(api, 'setSettings', { patch: { github_api_base: gh.apiBase } }, ctx);
      await ensureFirstRun(services);
      const { components } = (await invokeMethod(api, 'checkComponents', { ids: [SELF_ID] }, ctx)) as {
        components: { installed: string; latest: string; update_available: boolean; error: unknown }[];
      };
      expect(components).toEqual([
        expect.objectContaining({ installed: pkg.version, latest: '99.0.0', update_available: true, error: null }),
      ]);
      expect(gh.requestsTo(`/repos/${user}/${repo}/releases`).length).toBeGreaterThan(0);
    } finally {
      await gh.close();
    }
  });

  it('the self entry validates for any version package.json could hold', () => {
    expect(selfComponentConfig('1.2.3-beta.1', { user: 'upkeep-app', repo: 'upkeep' }).current).toBe('1.2.3-beta.1');
  });

  it('a data directory that cannot be written is a clear error, not a crash', async () => {
    const home = tempDir();
    const services = createServices({ home, host: 'cli' });
    writeFileSync(path.join(home, 'blocker'), '');
    const blocked = { ...services, layout: { ...services.layout, home: path.join(home, 'blocker') } };
    await expect(ensureFirstRun(blocked)).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/data directory is writable/),
    });
  });
});
