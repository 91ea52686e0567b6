import { mkdirSync, mkdtempSync, promises as fs, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import { resolveHome } from '../config/home';
import { validateComponentsMapping } from '../config/validate';
import type { Services } from '../services';
import { startDemoFeed, type DemoFeed } from './feed';
import { demoComponents, demoLayout, demoReleases, HEALTH_SCRIPT, installedFiles, type DemoLayout } from './samples';
import { errnoCode } from '../lib/error-info';

/** The file that marks a folder as a demo sandbox (so `--home` may reuse it, and nothing else). */
export const DEMO_MARKER = '.upkeep-demo';

export interface Demo {
  /** The sandbox: the data directory (`data/`) and the sample components (`samples/`) live here. */
  home: string;
  /**
   * The data directory, beside the samples: no component may live in the data directory, so the
   * samples cannot either.
   */
  dataDir: string;
  /** False when an earlier demo's sandbox was reused (`--home` naming it again). */
  fresh: boolean;
  feed: DemoFeed;
  /** Write the sample components (pointed at this run's feed) and check them once. */
  configure(services: Services): Promise<void>;
  /** What the demo is, for people: printed by the hosts before the panel's address. */
  describe(): string[];
  close(): Promise<void>;
}

export interface DemoOptions {
  /** `--home DIR`: a new or empty folder, or an earlier demo's sandbox. Default: a new temp folder. */
  home?: string | undefined;
  /** The environment the real data directory is resolved from, so `--home` naming it is refused (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

function entriesOf(dir: string): string[] | null {
  try {
    return readdirSync(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    if (errnoCode(error) === 'ENOTDIR')
      throw new UpkeepError('INVALID_REQUEST', `${dir} is a file. Give --home a new folder for the demo sandbox.`);
    throw error;
  }
}

/** A sandbox the demo may use, marked as one before anything else writes into it. */
export interface DemoHome {
  home: string;
  /** False when an earlier demo's sandbox is reused (`--home` naming it again). */
  fresh: boolean;
}

/**
 * The sandbox folder: a new temp folder, a new or empty `--home`, or an earlier demo's sandbox —
 * never the real data directory or a folder with anything else in it. Synchronous, so the desktop
 * host can claim it before Electron writes its own files there.
 */
export function claimDemoHome(options: DemoOptions = {}): DemoHome {
  const claimed = options.home
    ? checkedHome(path.resolve(options.home), options.env ?? process.env)
    : { home: mkdtempSync(path.join(os.tmpdir(), 'upkeep-demo-')), fresh: true };
  mkdirSync(claimed.home, { recursive: true, mode: 0o700 });
  writeFileSync(
    path.join(claimed.home, DEMO_MARKER),
    'This folder is an Upkeep demo sandbox (upkeep demo). Delete it when you are done.\n',
  );
  return claimed;
}

function checkedHome(home: string, env: NodeJS.ProcessEnv): DemoHome {
  const refuse = (why: string) =>
    new UpkeepError(
      'INVALID_REQUEST',
      `${home} ${why}. The demo runs only in a new or empty folder, or an earlier demo's sandbox, so it never touches real data: leave out --home for a temp folder, or name a new one.`,
    );
  if (home === resolveHome({ env })) throw refuse('is your Upkeep data directory');
  const entries = entriesOf(home);
  if (entries?.includes(DEMO_MARKER)) return { home, fresh: false };
  if (entries && entries.length > 0) throw refuse('is not empty and is not a demo sandbox');
  return { home, fresh: true };
}

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, ...rel.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
}

/** Install each sample component at its old version, unless an earlier run left it there. */
async function installSamples(layout: DemoLayout): Promise<void> {
  for (const [folder, files] of Object.entries(installedFiles(layout))) {
    if (entriesOf(folder) === null) await writeFiles(folder, files);
  }
  await fs.writeFile(layout.healthScript, HEALTH_SCRIPT);
}

/**
 * `upkeep demo` and `npm start -- --demo`: a sandbox data directory with three sample components
 * installed inside it and a release feed on 127.0.0.1 that offers each a newer release — a web app
 * whose update succeeds (keeping `.env` and `uploads/`), a service whose new release fails its
 * health check and is rolled back, and a single-file plugin. No network, no config, and nothing
 * outside the sandbox is read or written.
 */
export async function startDemo({ home, fresh }: DemoHome): Promise<Demo> {
  const layout = demoLayout(home);
  await installSamples(layout);
  const feed = await startDemoFeed(demoReleases());
  return {
    home,
    dataDir: path.join(home, 'data'),
    fresh,
    feed,
    async configure(services) {
      const components = validateComponentsMapping(demoComponents(layout, feed), 'the demo');
      services.components.add(components, { replace: true });
      // The samples are a few kilobytes: do not refuse them on a nearly full temp disk.
      services.settings.set({ min_free_space_mb: 10 });
      await services.checks.check(Object.keys(components), { force: true });
    },
    describe: () => [
      'Upkeep demo: a sandbox with three sample components and a local release feed; no network, no config.',
      `  Sandbox (data directory and the samples): ${home}${fresh ? '' : ' (reused)'}`,
      `  Release feed: ${feed.apiBase} (answers like GitHub's releases API)`,
      '  Sample web app 1.0.0 -> 1.1.0: Update now; watch the backup; .env and uploads/ are kept.',
      '  Sample API service 1.0.0 -> 2.0.0: the new release fails its health check and is rolled back by itself.',
      '  Sample plugin 1.0.0 -> 1.2.0: a single file, verified against SHA256SUMS.',
      '  Then restore a backup from the Backups list. Your real data directory is not touched.',
    ],
    close: () => feed.close(),
  };
}
