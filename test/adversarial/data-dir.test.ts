import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UpkeepError } from '../../shared/errors';
import type { UpdateResult } from '../../shared/types';
import { validateComponent } from '../../electron/core/config/validate';
import { createServices, type Services } from '../../electron/core/services';
import { swapTree } from '../../electron/core/updaters/lib/tree-sync';
import { httpTransport } from '../contract/transports';
import { sourceTarball, treeHash } from '../fixtures/releases/tree';
import { buildCli, upkeep } from '../helpers/cli';
import { tempDir } from '../helpers/temp';
import { canMountTmpfs } from '../helpers/tmpfs';
import { OWNER, releaseFiles, releaseScenario, REPO, type Scenario } from '../unit/engine/scenario';

/**
 * A component folder that is, holds or lies within Upkeep's data directory (or is `/`) would let a
 * restore, a rollback or an update delete config.json, every backup and the history. It is refused
 * at every way in (a file, a drop-in, the contract over the HTTP host, the CLI), under every
 * spelling (links, `..`, `~`); and whatever config.json says, backup, restore, update and rollback
 * never archive, move or delete the data directory (real updates, real restores, real files).
 */

beforeAll(() => buildCli());

/** Bind mounts need root; where they are not allowed, the one case that uses one is skipped and says so. */
const BIND_MOUNTS = canMountTmpfs();

// ───────────────────────────── the paths ─────────────────────────────

interface World {
  root: string;
  /** The data directory: `<root>/data/upkeep`. */
  home: string;
}

/** A data directory with a backup, a history line, a secret and links pointing at it. */
function world(): World {
  const root = tempDir('upkeep-datadir-');
  const home = path.join(root, 'data', 'upkeep');
  mkdirSync(path.join(home, 'backups', 'app'), { recursive: true });
  writeFileSync(path.join(home, 'history.jsonl'), '');
  mkdirSync(path.join(root, 'apps', 'ok'), { recursive: true });
  symlinkSync(home, path.join(root, 'link-home'));
  symlinkSync(path.join(root, 'data'), path.join(root, 'link-data'));
  // `apps/deep/..` reads as `apps` to path.resolve, but the kernel takes `..` from the link's target.
  symlinkSync(path.join(home, 'backups'), path.join(root, 'apps', 'deep'));
  mkdirSync(path.join(home, 'venv', 'bin'), { recursive: true });
  writeFileSync(path.join(home, 'venv', 'pyvenv.cfg'), 'home = /usr/bin\n');
  writeFileSync(path.join(home, 'venv', 'bin', 'python'), '');
  return { root, home };
}

interface Variant {
  name: string;
  /** The component config, and the key the refusal must name. */
  config(w: World): Record<string, unknown>;
  key: string;
  /** Only the CLI can set HOME for `~`. */
  cliOnly?: boolean;
}

const folder =
  (f: (w: World) => string): Variant['config'] =>
  (w) => ({ type: 'never_current', current: '1.0.0', folder: f(w) });

const VARIANTS: Variant[] = [
  { name: 'the data directory itself', key: 'folder', config: folder((w) => w.home) },
  { name: 'the folder holding the data directory', key: 'folder', config: folder((w) => path.dirname(w.home)) },
  { name: 'the root folder /', key: 'folder', config: folder(() => '/') },
  {
    name: 'a folder inside the data directory (its backups)',
    key: 'folder',
    config: folder((w) => path.join(w.home, 'backups')),
  },
  {
    name: 'a folder inside the data directory that does not exist yet',
    key: 'folder',
    config: folder((w) => path.join(w.home, 'apps', 'new')),
  },
  { name: 'a link to the data directory', key: 'folder', config: folder((w) => path.join(w.root, 'link-home')) },
  {
    name: 'a link to the folder holding the data directory',
    key: 'folder',
    config: folder((w) => path.join(w.root, 'link-data')),
  },
  {
    name: 'the data directory spelled with ..',
    key: 'folder',
    config: folder((w) => `${w.root}/apps/ok/../../data/./upkeep`),
  },
  {
    name: '.. through a link (lexically apps/, really the data directory)',
    key: 'folder',
    config: folder((w) => `${path.join(w.root, 'apps', 'deep')}/..`),
  },
  { name: 'the data directory spelled with ~', key: 'folder', cliOnly: true, config: folder(() => '~/data/upkeep') },
  {
    name: 'a single_file destination in the data directory (config.json)',
    key: 'file',
    config: (w) => ({
      type: 'never_current',
      current: '1.0.0',
      method: 'single_file',
      url: 'https://example.invalid/plugin.py',
      file: path.join(w.home, 'config.json'),
    }),
  },
  {
    name: 'a pip venv inside the data directory (python)',
    key: 'python',
    config: (w) => ({
      type: 'pypi_release',
      package: 'requests',
      method: 'pip',
      pip: 'requests=={target_version}',
      python: path.join(w.home, 'venv', 'bin', 'python'),
    }),
  },
];

function expectNamesDataDir(message: string, w: World): void {
  expect(message).toContain(w.home);
  expect(message).toMatch(/Upkeep's data directory|root folder/);
}

describe('nested folders: refused at every way in, naming the data directory', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  for (const v of VARIANTS) {
    it(`${v.name}: upkeep component add --file exits 2 with INVALID_CONFIG and stores nothing`, () => {
      const w = world();
      const file = path.join(w.root, 'components.yaml');
      writeFileSync(file, JSON.stringify({ components: { hostile: v.config(w) } }));
      const run = upkeep(['--home', w.home, 'component', 'add', '--file', file], { env: { HOME: w.root } });
      expect(run.status, run.stdout + run.stderr).toBe(2);
      expect(run.stderr).toContain('[INVALID_CONFIG]');
      expect(run.stderr).toContain(`components.hostile.${v.key}`);
      expectNamesDataDir(run.stderr, w);
      const stored = existsSync(path.join(w.home, 'config.json'))
        ? readFileSync(path.join(w.home, 'config.json'), 'utf8')
        : '';
      expect(stored).not.toContain('hostile');
    });

    if (v.cliOnly) continue;
    it(`${v.name}: addComponents and updateComponent over the HTTP host answer INVALID_CONFIG naming the field`, async () => {
      const w = world();
      const t = await httpTransport(w.home);
      close = t.close;
      const added = await t.call('addComponents', { components: { hostile: v.config(w) } });
      expect(added.error?.code, JSON.stringify(added)).toBe('INVALID_CONFIG');
      expectNamesDataDir(added.error?.message ?? '', w);
      expect(added.error?.details?.fields).toEqual([`components.hostile.${v.key}`]);
      const asText = await t.call('addComponents', { text: JSON.stringify({ components: { hostile: v.config(w) } }) });
      expect(asText.error?.code).toBe('INVALID_CONFIG');
      // A good component cannot be turned into a bad one either (the panel's edit dialog).
      expect(
        (
          await t.call('addComponents', {
            components: { app: { type: 'never_current', current: '1.0.0', folder: path.join(w.root, 'apps', 'ok') } },
          })
        ).error,
      ).toBeUndefined();
      const updated = await t.call('updateComponent', { id: 'app', config: v.config(w) });
      expect(updated.error?.code, JSON.stringify(updated)).toBe('INVALID_CONFIG');
      expectNamesDataDir(updated.error?.message ?? '', w);
      const listed = (await t.call('listComponents', {})).result as {
        components: { id: string; config: { folder?: string } }[];
      };
      expect(listed.components.map((c) => c.id)).toEqual(['app']);
      expect(listed.components[0]?.config.folder).toBe(path.join(w.root, 'apps', 'ok'));
    });
  }

  it('drop-ins: each hostile one is reported by file and id, the rest load, commands go on; using one names the data directory', () => {
    const w = world();
    const dropIns = path.join(w.home, 'components.d');
    mkdirSync(dropIns, { recursive: true });
    const hostile = VARIANTS.map((v, i) => ({ id: `hostile-${i}`, v }));
    // One file per variant, and one file mixing a good component with a bad one.
    for (const { id, v } of hostile)
      writeFileSync(path.join(dropIns, `${id}.yaml`), JSON.stringify({ components: { [id]: v.config(w) } }));
    writeFileSync(
      path.join(dropIns, 'mixed.yaml'),
      JSON.stringify({
        good: { type: 'never_current', current: '1.0.0', folder: path.join(w.root, 'apps', 'ok') },
        bad: { type: 'never_current', current: '1.0.0', folder: w.home },
      }),
    );
    const env = { HOME: w.root };
    const list = upkeep(['--home', w.home, '--json', 'component', 'list'], { env });
    expect(list.status, list.stderr).toBe(0);
    const { components, problems } = list.json() as {
      components: { id: string }[];
      problems: { file: string; component?: string; code: string; message: string }[];
    };
    expect(components.map((c) => c.id)).toEqual(['good']);
    for (const { id } of [...hostile, { id: 'bad' }]) {
      const problem = problems.find((p) => p.component === id);
      expect(problem, id).toBeDefined();
      expect(problem?.code).toBe('INVALID_CONFIG');
      expectNamesDataDir(problem?.message ?? '', w);
    }
    expect(problems.find((p) => p.component === 'bad')?.file).toBe('mixed.yaml');
    // Every other command still answers.
    for (const args of [['backup', 'list'], ['history'], ['status'], ['check', 'good']]) {
      const r = upkeep(['--home', w.home, ...args], { env });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const text = upkeep(['--home', w.home, 'component', 'list'], { env });
    expect(text.stdout).toContain('problem: hostile-0.yaml');
    // Asking for a refused one says why, not that it does not exist.
    const backup = upkeep(['--home', w.home, 'backup', 'create', 'bad'], { env });
    expect(backup.status).toBe(2);
    expect(backup.stderr).toContain('[INVALID_CONFIG]');
    expectNamesDataDir(backup.stderr, w);
    expect(readdirSync(path.join(w.home, 'backups'))).toEqual(['app']);
  });

  it.skipIf(!BIND_MOUNTS)(
    'a bind mount of the folder holding the data directory (no path shows it): refused over the HTTP host; written into config.json by hand, its backup leaves the data directory out and its restore is refused',
    async () => {
      const w = world();
      const view = path.join(w.root, 'view');
      mkdirSync(view);
      execFileSync('mount', ['--bind', path.dirname(w.home), view]);
      try {
        writeFileSync(path.join(w.home, 'secrets.json'), '{"github_token":"ghp_bindmount"}\n');
        const t = await httpTransport(w.home);
        close = t.close;
        const added = await t.call('addComponents', {
          components: { viewed: { type: 'never_current', current: '1.0.0', folder: view } },
        });
        expect(added.error?.code, JSON.stringify(added)).toBe('INVALID_CONFIG');
        expect(added.error?.message).toContain(`contains Upkeep's data directory (${w.home})`);
        t.services.store.set('components', { viewed: { type: 'never_current', current: '1.0.0', folder: view } });
        const backup = await t.services.backups.create({ component: 'viewed' });
        const manifest = JSON.parse(
          readFileSync(path.join(w.home, 'backups', 'viewed', `${backup.id}.json`), 'utf8'),
        ) as { entries: { path: string }[] };
        expect(manifest.entries.map((e) => e.path).filter((p) => p.startsWith('upkeep'))).toEqual([]);
        const restored = await errorOf(t.services.backups.restore({ backupId: backup.id }));
        expect(restored?.code).toBe('INVALID_CONFIG');
        expect(readFileSync(path.join(w.home, 'secrets.json'), 'utf8')).toContain('ghp_bindmount');
      } finally {
        await close?.();
        close = undefined;
        spawnSync('umount', ['-l', view]);
      }
    },
  );

  it('import octoprint with a checkout_folder that holds the data directory is refused', () => {
    const w = world();
    const file = path.join(w.root, 'octoprint.yaml');
    writeFileSync(
      file,
      `plugins:\n  softwareupdate:\n    checks:\n      bot:\n        type: git_commit\n        checkout_folder: ${path.dirname(w.home)}\n        method: update_script\n        update_script: git pull\n`,
    );
    const run = upkeep(['--home', w.home, 'import', 'octoprint', file]);
    expect(run.status, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toContain('components.bot.folder');
    expectNamesDataDir(run.stderr, w);
  });
});

// ───────────────────────────── defence in depth ─────────────────────────────

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** config.json, secrets.json, every file under backups/ (archives and manifests) by sha256, and history.jsonl's text. */
function fingerprint(home: string): { files: Map<string, string>; history: string } {
  const files = new Map<string, string>();
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) visit(p);
      else if (!name.startsWith('.')) files.set(path.relative(home, p), sha(p));
    }
  };
  for (const name of ['config.json', 'secrets.json'])
    if (existsSync(path.join(home, name))) files.set(name, sha(path.join(home, name)));
  visit(path.join(home, 'backups'));
  return { files, history: readFileSync(path.join(home, 'history.jsonl'), 'utf8') };
}

/** Everything that was there is there still, byte for byte; history only grew. */
function expectIntact(home: string, before: ReturnType<typeof fingerprint>): void {
  expect(existsSync(path.join(home, 'config.json')), 'config.json').toBe(true);
  const after = fingerprint(home);
  for (const [rel, hash] of before.files) expect(after.files.get(rel), rel).toBe(hash);
  expect(after.history.startsWith(before.history), 'history.jsonl kept its lines').toBe(true);
  expect(before.history.split('\n').filter(Boolean).length).toBeGreaterThan(0);
  expect([...before.files.keys()].filter((k) => k.endsWith('.tar.zst')).length).toBeGreaterThanOrEqual(3);
}

function editConfig(home: string, id: string, patch: Record<string, unknown>): void {
  const file = path.join(home, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as { components: Record<string, Record<string, unknown>> };
  config.components[id] = { ...config.components[id], ...patch };
  writeFileSync(file, JSON.stringify(config, null, '\t'));
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as UpkeepError,
  );

/** Fails once VERSION says 1.2.0: the third release is one whose health check fails. */
const HEALTH = (folder: string) => ({
  command: [
    'node',
    '-e',
    "process.exit(require('fs').readFileSync(process.argv[1], 'utf8').trim() === '1.2.0' ? 1 : 0)",
    path.join(folder, 'VERSION'),
  ],
});

interface Installed {
  s: Scenario;
  /** The backups taken: the webapp's manual one and the pre-update one, another component's. */
  webappBackup: string;
}

/**
 * A web app from release tarballs (real GitHub-like server) updated for real from 1.0.0 to 1.1.0
 * (history, a pre-update backup), with a manual backup of it and of another component, a secret,
 * and a release 1.2.0 whose health check will fail.
 */
async function installed(): Promise<Installed> {
  const s = await releaseScenario();
  s.services.components.update('webapp', { ...s.services.components.get('webapp').config, health: HEALTH(s.folder) });
  const other = path.join(s.root, 'srv', 'other');
  mkdirSync(other, { recursive: true });
  writeFileSync(path.join(other, 'notes.txt'), 'other component data');
  s.services.components.add({
    other: validateComponent('other', { type: 'never_current', current: '1.0.0', folder: other }),
  });
  await s.services.secrets.set('github_token', 'ghp_datadirtest');
  await s.services.backups.create({ component: 'other' });
  const [first] = (await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' })) as UpdateResult[];
  expect(first?.status, JSON.stringify(first?.error)).toBe('succeeded');
  const manual = await s.services.backups.create({ component: 'webapp' });
  s.gh.addRelease(OWNER, REPO, {
    tag_name: 'v1.2.0',
    tarball: sourceTarball(`${OWNER}-${REPO}-ccc333`, releaseFiles('1.2.0')),
  });
  return { s, webappBackup: manual.id };
}

/** Move the data directory into the web app's folder (as a user might), and open it there. */
function moveDataDirInto(s: Scenario): { home: string; services: Services } {
  const home = path.join(s.folder, 'upkeep-data');
  renameSync(s.home, home);
  return { home, services: createServices({ home, host: 'cli' }) };
}

describe('defence in depth: whatever config.json says, the data directory is never archived, moved or deleted', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.cleanup();
    s = undefined;
  });

  it('data directory moved into the folder, then a release_archive update whose health check fails (automatic rollback): refused before anything changes', async () => {
    const world = await installed();
    s = world.s;
    const moved = moveDataDirInto(s);
    const before = fingerprint(moved.home);
    const app = treeHash(s.folder, { ignore: (rel) => rel.startsWith('upkeep-data') });
    const [result] = (await moved.services.updates.updateComponents(['webapp'], {
      initiatedBy: 'cli',
    })) as UpdateResult[];
    expectIntact(moved.home, before);
    expect(result?.status).toBe('failed');
    expect(result?.error?.code, JSON.stringify(result?.error)).toBe('INVALID_CONFIG');
    expect(result?.error?.message).toContain(`contains Upkeep's data directory (${moved.home})`);
    expect(treeHash(s.folder, { ignore: (rel) => rel.startsWith('upkeep-data') })).toBe(app);
    expect(readFileSync(path.join(s.folder, 'VERSION'), 'utf8')).toBe('1.1.0\n');
  });

  it('data directory moved into the folder while the update runs (by its install step): the automatic rollback refuses to swap it away', async () => {
    const move =
      "const fs = require('fs'); const [, version, home, into] = process.argv; if (fs.readFileSync(version, 'utf8').trim() === '1.2.0') { fs.renameSync(home, into); fs.symlinkSync(into, home); }";
    const world = await installed();
    s = world.s;
    const into = path.join(s.folder, 'upkeep-data');
    s.services.components.update('webapp', {
      ...s.services.components.get('webapp').config,
      install: [['node', '-e', move, path.join(s.folder, 'VERSION'), s.home, into]],
    });
    const before = fingerprint(s.home);
    const [result] = (await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' })) as UpdateResult[];
    // The data directory now lives in the folder (reached through the link at its old path), all of it.
    expectIntact(into, before);
    expect(result?.status).toBe('failed');
    expect(result?.error?.code).toBe('HEALTH_CHECK_FAILED');
    expect(result?.error?.message).toMatch(/automatic rollback also failed/);
    expect(result?.error?.message).toContain("contains Upkeep's data directory");
  });

  it('data directory moved into the folder, then `backup restore` of the folder: refused, nothing extracted beside it', async () => {
    const world = await installed();
    s = world.s;
    const moved = moveDataDirInto(s);
    const before = fingerprint(moved.home);
    const app = treeHash(s.folder, { ignore: (rel) => rel.startsWith('upkeep-data') });
    const e = await errorOf(moved.services.backups.restore({ backupId: world.webappBackup }));
    expectIntact(moved.home, before);
    expect(e?.code).toBe('INVALID_CONFIG');
    expect(e?.message).toContain(`contains Upkeep's data directory (${moved.home})`);
    expect(treeHash(s.folder, { ignore: (rel) => rel.startsWith('upkeep-data') })).toBe(app);
    expect(readdirSync(path.dirname(s.folder)).sort()).toEqual(['other', 'webapp']);
  });

  it('data directory moved into the folder, then `upkeep rollback` of the last update (CLI): refused, recorded as failed', async () => {
    const world = await installed();
    s = world.s;
    const moved = moveDataDirInto(s);
    const before = fingerprint(moved.home);
    const run = upkeep(['--home', moved.home, '--json', 'rollback', 'webapp', '--yes']);
    expectIntact(moved.home, before);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout + run.stderr).toContain("Upkeep's data directory");
    expect(readFileSync(path.join(s.folder, 'VERSION'), 'utf8')).toBe('1.1.0\n');
  });

  it('config.json edited by hand to folder = the data directory: `backup create` and `backup restore` refused', async () => {
    const world = await installed();
    s = world.s;
    editConfig(s.home, 'webapp', { folder: s.home });
    const services = createServices({ home: s.home, host: 'cli' });
    const before = fingerprint(s.home);
    const created = await errorOf(services.backups.create({ component: 'webapp' }));
    const restored = await errorOf(services.backups.restore({ backupId: world.webappBackup }));
    expectIntact(s.home, before);
    expect(fingerprint(s.home).files.size, 'no backup of the data directory was written').toBe(before.files.size);
    expect(created?.code).toBe('INVALID_CONFIG');
    expect(created?.message).toContain(`is Upkeep's data directory (${s.home})`);
    expect(restored?.code).toBe('INVALID_CONFIG');
    // It is listed (so it can be fixed or removed), with the problem said.
    const { components, problems } = services.components.list();
    expect(components.map((c) => c.id)).toContain('webapp');
    expect(problems.find((p) => p.component === 'webapp')?.message).toContain(`is Upkeep's data directory (${s.home})`);
  });

  it('config.json edited by hand to folder = the backups folder inside the data directory: `upkeep backup restore` (CLI) refused', async () => {
    const world = await installed();
    s = world.s;
    editConfig(s.home, 'webapp', { folder: path.join(s.home, 'backups') });
    const before = fingerprint(s.home);
    const run = upkeep(['--home', s.home, 'backup', 'restore', world.webappBackup, '--yes']);
    expectIntact(s.home, before);
    expect(run.status, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toContain('[INVALID_CONFIG]');
    expect(run.stderr).toContain(`is inside Upkeep's data directory (${s.home})`);
  });

  it('config.json edited by hand to a link to the folder holding the data directory: a backup leaves the data directory out; a restore is refused', async () => {
    const world = await installed();
    s = world.s;
    const link = path.join(s.root, 'srv', 'everything');
    symlinkSync(s.root, link);
    editConfig(s.home, 'webapp', { folder: link, backup: { exclude: ['srv/', 'markers/', 'data/'] } });
    const services = createServices({ home: s.home, host: 'cli' });
    const before = fingerprint(s.home);
    const backup = await services.backups.create({ component: 'webapp' });
    const manifest = JSON.parse(readFileSync(path.join(s.home, 'backups', 'webapp', `${backup.id}.json`), 'utf8')) as {
      entries: { path: string }[];
    };
    expect(manifest.entries.filter((e) => e.path === 'home' || e.path.startsWith('home/'))).toEqual([]);
    const e = await errorOf(services.backups.restore({ backupId: backup.id }));
    expect(e?.code).toBe('INVALID_CONFIG');
    expect(e?.message).toContain(`contains Upkeep's data directory (${s.home})`);
    expectIntact(s.home, before);
  });

  it('config.json edited by hand so a single_file update would replace config.json: refused before the download', async () => {
    const world = await installed();
    s = world.s;
    const source = path.join(s.root, 'plugin-{target_version}.py');
    writeFileSync(path.join(s.root, 'plugin-1.0.1.py'), '# not a config\n');
    s.services.components.add({
      plug: validateComponent('plug', {
        type: 'never_current',
        current: '1.0.0',
        method: 'single_file',
        url: source,
        file: path.join(s.root, 'plugin.py'),
      }),
    });
    editConfig(s.home, 'plug', { file: path.join(s.home, 'config.json') });
    const before = fingerprint(s.home);
    const services = createServices({ home: s.home, host: 'cli' });
    const [result] = (await services.updates.updateComponents(['plug'], { initiatedBy: 'cli' })) as UpdateResult[];
    expectIntact(s.home, before);
    expect(result?.status).toBe('failed');
    expect(result?.error?.code, JSON.stringify(result?.error)).toBe('INVALID_CONFIG');
    expect(result?.error?.message).toContain(`is inside Upkeep's data directory (${s.home})`);
  });

  it('a restore journal (as a killed restore leaves it) whose set-aside copy would be the folder holding the data directory: recovery refuses it, says so and leaves it for a person', async () => {
    const world = await installed();
    s = world.s;
    const journal = path.join(s.home, 'backups', '.restore-webapp.json');
    const staging = path.join(s.root, 'srv', '.webapp.upkeep-restore-0bad');
    writeFileSync(
      journal,
      JSON.stringify({ kind: 'full', folder: s.folder, staging, old: s.root, carried: [], phase: 'committed' }),
    );
    const before = fingerprint(s.home);
    const services = createServices({ home: s.home, host: 'cli' });
    const report = await services.backups.recoverRestores();
    expectIntact(s.home, before);
    expect(report.touched).toEqual([]);
    // Said, not done: RECOVERY_FAILED naming the data directory, until a person has looked.
    expect(report.failed.map((f) => f.error.code)).toEqual(['RECOVERY_FAILED']);
    expect(report.failed[0]?.error.message).toContain(`Upkeep's data directory (${s.home})`);
    expect(existsSync(journal), 'the journal is kept for a person to look at').toBe(true);
    expect(readFileSync(path.join(s.folder, 'VERSION'), 'utf8')).toBe('1.1.0\n');
  });

  it('a release synced into a folder holding the data directory is refused before a file is written (tree sync on its own)', async () => {
    const w = world();
    writeFileSync(path.join(w.home, 'config.json'), '{"components":{}}\n');
    const staging = path.join(w.root, 'staging');
    mkdirSync(path.join(staging, 'upkeep'), { recursive: true });
    writeFileSync(path.join(staging, 'upkeep', 'config.json'), 'from the release\n');
    const e = await errorOf(
      swapTree({ staging, folder: path.dirname(w.home), preserve: [], previousFiles: null, dataDir: w.home }),
    );
    expect(readFileSync(path.join(w.home, 'config.json'), 'utf8')).toBe('{"components":{}}\n');
    expect(e?.code).toBe('INVALID_CONFIG');
    expectNamesDataDir(e?.message ?? '', w);
  });
});
