import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EventName } from '../../../shared/contract';
import { validateComponent } from '../../../electron/core/config/validate';
import { createServices, type Services } from '../../../electron/core/services';
import { FakeGitHub } from '../../fixtures/servers';
import { sourceTarball, treeHash, type TarSpecEntry } from '../../fixtures/releases/tree';

export const OWNER = 'acme';
export const REPO = 'webapp';

/** The installed release 1.0.0 with user data beside it: .env, uploads/ (a folder, or a symlink out), database_backups/. */
export function installedFiles(): Record<string, string> {
  const files: Record<string, string> = {
    VERSION: '1.0.0\n',
    'app.py': 'print("v1")\n',
    'lib/core.py': 'core v1\n',
    'lib/old_module.py': 'only in 1.0.0\n',
    'db/app.db': 'precious database v1\n',
  };
  return files;
}

/** Release 1.1.0: changed, new and dropped files, plus many small files so a sync has a middle. */
export function releaseFiles(version = '1.1.0'): Record<string, string> {
  const files: Record<string, string> = {
    VERSION: `${version}\n`,
    'app.py': `print("v${version}")\n`,
    'lib/core.py': `core ${version}\n`,
    'lib/new_module.py': `new in ${version}\n`,
    '.env': 'DEFAULT=from-release\n',
    'uploads/README': 'release placeholder\n',
    'database_backups/README': 'release placeholder\n',
  };
  for (let i = 0; i < 30; i++) files[`static/asset-${String(i).padStart(2, '0')}.css`] = `/* ${version} #${i} */\n`;
  return files;
}

export interface Scenario {
  root: string;
  home: string;
  folder: string;
  /** Where the symlinked uploads/ points (user data outside the folder). */
  uploadsTarget: string;
  markers: string;
  gh: FakeGitHub;
  services: Services;
  events: { event: EventName; payload: unknown }[];
  hash(): string;
  uploadsHash(): string;
  cleanup(): Promise<void>;
}

/**
 * A component installed from release tarballs (the OTRS flow) with a GitHub-like release server
 * serving 1.0.0 (installed) and 1.1.0, real backups and real checks over a real data folder.
 */
export async function releaseScenario(
  options: {
    config?: Record<string, unknown>;
    tarball?: Buffer;
    extraEntries?: TarSpecEntry[];
    assets?: { name: string; content: Buffer | string; digest?: string | null }[];
    uploads?: 'symlink' | 'dir';
  } = {},
): Promise<Scenario> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'upkeep-engine-'));
  const home = path.join(root, 'home');
  const folder = path.join(root, 'srv', 'webapp');
  const uploadsTarget =
    options.uploads === 'symlink' ? path.join(root, 'data', 'uploads') : path.join(folder, 'uploads');
  const markers = path.join(root, 'markers');
  mkdirSync(markers, { recursive: true });
  mkdirSync(uploadsTarget, { recursive: true });
  writeFileSync(path.join(uploadsTarget, 'photo.jpg'), 'a user photo');
  for (const [rel, content] of Object.entries(installedFiles())) {
    mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
    writeFileSync(path.join(folder, rel), content);
  }
  writeFileSync(path.join(folder, '.env'), 'SECRET_KEY=user-secret\n');
  if (options.uploads === 'symlink') symlinkSync(uploadsTarget, path.join(folder, 'uploads'));
  mkdirSync(path.join(folder, 'database_backups'));
  writeFileSync(path.join(folder, 'database_backups', 'backup_before_update_manual.db'), 'old db copy');

  const gh = await FakeGitHub.start();
  // 1.0.0 shipped an empty database that the user has filled since.
  gh.addRelease(OWNER, REPO, {
    tag_name: 'v1.0.0',
    tarball: sourceTarball(`${OWNER}-${REPO}-aaa111`, { ...installedFiles(), 'db/app.db': 'empty database\n' }),
  });
  gh.addRelease(OWNER, REPO, {
    tag_name: 'v1.1.0',
    tarball: options.tarball ?? sourceTarball(`${OWNER}-${REPO}-bbb222`, releaseFiles(), options.extraEntries ?? []),
    assets: (options.assets ?? []).map((a) => ({
      name: a.name,
      content: a.content,
      ...(a.digest !== undefined ? { digest: a.digest } : {}),
    })),
  });

  const services = createServices({ home, host: 'cli' });
  services.settings.set({ github_api_base: gh.apiBase, min_free_space_mb: 1 });
  const config = validateComponent('webapp', {
    name: 'Web App',
    type: 'github_release',
    user: OWNER,
    repo: REPO,
    api_base: gh.apiBase,
    release_compare: 'semantic',
    folder,
    version_from: { file: 'VERSION', regex: '(\\S+)' },
    method: 'release_archive',
    restart: [
      'node',
      '-e',
      'require("fs").appendFileSync(process.argv[1], "restart\\n")',
      path.join(markers, 'restarts.log'),
    ],
    ...(options.config ?? {}),
  });
  services.components.add({ webapp: config });
  const events: Scenario['events'] = [];
  services.events.onAny((event, payload) => void events.push({ event, payload }));
  return {
    root,
    home,
    folder,
    uploadsTarget,
    markers,
    gh,
    services,
    events,
    hash: () => treeHash(folder),
    uploadsHash: () => treeHash(uploadsTarget),
    async cleanup() {
      await gh.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
