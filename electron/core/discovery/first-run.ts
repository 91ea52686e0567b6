import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import type { ComponentConfig } from '../../../shared/schemas/component';
import { validateComponent } from '../config/validate';
import { fsyncDir } from '../lib/fs-atomic';
import { appPackage } from '../lib/app-version';
import type { Services } from '../services';
import { githubRepoOf } from './git-checkouts';
import { errnoCode, errorMessage } from '../lib/error-info';

export const SELF_ID = 'upkeep';
export const FIRST_RUN_MARKER = 'first-run.json';
/** Where Upkeep's releases are published when package.json does not say (it does: `repository`). */
const FALLBACK_REPOSITORY = { user: 'upkeep-app', repo: 'upkeep' };

export interface FirstRunResult {
  /** This start was the first one for this data directory. */
  first_run: boolean;
  /** Components added (`upkeep` itself on a fresh data directory). */
  added: string[];
  /** The self entry's `current` was brought up to the running version. */
  refreshed_current: boolean;
}

/** The `repository` of a package.json: a string or `{ url }`; another shape reads as absent. */
const repositorySchema = z.looseObject({
  repository: z
    .union([z.string(), z.looseObject({ url: z.string().optional() })])
    .optional()
    .catch(undefined),
});

/** Upkeep's own repository from its package.json `repository` (string or {url}), if it is on GitHub. */
export function selfRepository(pkgRoot = appPackage().root): { user: string; repo: string } {
  try {
    const pkg = repositorySchema.safeParse(JSON.parse(readFileSync(path.join(pkgRoot, 'package.json'), 'utf8'))).data;
    const repo = pkg?.repository;
    const url = typeof repo === 'string' ? repo : repo?.url;
    if (typeof url === 'string') {
      const shorthand = /^(?:github:)?([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(url);
      if (shorthand?.[1] && shorthand[2]) return { user: shorthand[1], repo: shorthand[2] };
      const parsed = githubRepoOf(url);
      if (parsed) return parsed;
    }
  } catch {
    // fall through to the published default
  }
  return FALLBACK_REPOSITORY;
}

/**
 * Upkeep's own entry: its GitHub releases, with `current` the running version. No update method:
 * Upkeep is installed by a package (AppImage, deb, NSIS installer, dmg, or npm) and a running,
 * signed app bundle with an integrity-checked asar must not overwrite its own files. The check says
 * when a release is out; the user installs it the way they installed Upkeep.
 */
export function selfComponentConfig(version = appPackage().version, repository = selfRepository()): ComponentConfig {
  return validateComponent(SELF_ID, {
    name: 'Upkeep',
    type: 'github_release',
    user: repository.user,
    repo: repository.repo,
    release_compare: 'semantic',
    current: version,
  });
}

function isSelfEntry(config: ComponentConfig, repository: { user: string; repo: string }): boolean {
  return (
    config.type === 'github_release' &&
    config.user === repository.user &&
    config.repo === repository.repo &&
    config.method === undefined
  );
}

/**
 * Called by every host at start. On a data directory's first start (no marker, no components) it
 * adds Upkeep itself; the marker makes that happen once, so a user who removes the entry is
 * respected. The marker is created exclusively (O_EXCL), so two hosts starting together cannot both
 * add it. On later starts, if the self entry is still there, its static `current` is kept equal to
 * the running version (the version changes when the user installs a new package, not through Upkeep).
 */
export async function ensureFirstRun(services: Services, options: { version?: string } = {}): Promise<FirstRunResult> {
  const version = options.version ?? appPackage().version;
  const repository = selfRepository();
  const marker = path.join(services.layout.home, FIRST_RUN_MARKER);
  const claimed = await claimMarker(marker, version);
  const added: string[] = [];
  if (claimed) {
    const { components } = services.components.list();
    if (components.length === 0) {
      services.components.add({ [SELF_ID]: selfComponentConfig(version, repository) });
      added.push(SELF_ID);
      services.events.emit('components_changed', { ids: added });
    }
    return { first_run: true, added, refreshed_current: false };
  }
  let refreshed = false;
  const self = services.components.list().components.find((c) => c.id === SELF_ID);
  if (
    self &&
    self.source.kind === 'settings' &&
    isSelfEntry(self.config, repository) &&
    self.config.current !== version
  ) {
    services.components.patch(SELF_ID, { current: version });
    services.events.emit('components_changed', { ids: [SELF_ID] });
    refreshed = true;
  }
  return { first_run: false, added, refreshed_current: refreshed };
}

/** Create the marker if it does not exist; true when this call created it. */
async function claimMarker(marker: string, version: string): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(marker, 'wx', 0o600);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw new UpkeepError(
      'INTERNAL',
      `Cannot write ${marker}: ${errorMessage(error)}. Check that the data directory is writable.`,
      { path: marker },
    );
  }
  try {
    await handle.writeFile(`${JSON.stringify({ first_run_at: new Date().toISOString(), version }, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsyncDir(path.dirname(marker));
  return true;
}
