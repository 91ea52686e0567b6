import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectEntries, type SelectOptions } from '../../../electron/core/backups/select';
import { tempDir } from '../../helpers/temp';

/** A component folder with something of every kind the walk decides about. */
function folderWithEverything(): { root: string; dataDir: string } {
  const root = tempDir();
  const write = (rel: string, body: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), body);
  };
  write('app/main.js', 'console.log(1)\n');
  write('app/b.js', 'b\n');
  write('app/a.js', 'a\n');
  write('config/settings.json', '{"a":1}\n');
  write('config/nested/extra.ini', '[x]\n');
  write('data/app.db', 'not really sqlite');
  write('node_modules/dep/index.js', 'module.exports = 1\n');
  write('logs/today.log', 'log line\n');
  write('server.log', 'log line\n');
  write('weird\\name.txt', 'unportable\n');
  write('.app.upkeep-old-abc123/left.txt', 'a swap leftover\n');
  write('upkeep-data/state.json', '{}\n'); // Upkeep's own data folder inside the component
  symlinkSync('app/main.js', path.join(root, 'current'));
  symlinkSync('/etc', path.join(root, 'outside'));
  execFileSync('mkfifo', [path.join(root, 'pipe')]);
  chmodSync(path.join(root, 'app/main.js'), 0o750);
  utimesSync(path.join(root, 'app/main.js'), 1_700_000_000, 1_700_000_000);
  return { root, dataDir: path.join(root, 'upkeep-data') };
}

const base = (dataDir: string): SelectOptions => ({
  type: 'full',
  sets: {},
  includeLogs: false,
  skipAbsolute: [dataDir],
});

describe('selectEntries: the blocking walk (backup worker) picks exactly what the thread-pool walk picks', () => {
  it('a full backup: sorted, folders before their contents, excludes, leftovers, links, FIFOs and unportable names', async () => {
    const { root, dataDir } = folderWithEverything();
    const pool = await selectEntries(root, base(dataDir));
    const blocking = await selectEntries(root, { ...base(dataDir), sync: true });
    expect(blocking).toEqual(pool);
    expect(pool.entries.map((e) => `${e.type} ${e.path}`)).toEqual([
      'directory app',
      'file app/a.js',
      'file app/b.js',
      'file app/main.js',
      'directory config',
      'directory config/nested',
      'file config/nested/extra.ini',
      'file config/settings.json',
      'symlink current',
      'directory data',
      'file data/app.db',
      'symlink outside',
    ]);
    const main = pool.entries.find((e) => e.path === 'app/main.js');
    expect(main).toMatchObject({ mode: 0o750, mtime: 1_700_000_000, size: 15 });
    expect(pool.entries.find((e) => e.path === 'outside')?.linkpath).toBe('/etc');
    expect(pool.excluded.sort()).toEqual(['logs', 'node_modules', 'server.log']);
    expect(pool.skipped.sort()).toEqual(['pipe', 'weird\\name.txt']);
    expect(pool.bytes).toBe(2 + 2 + 15 + 8 + 4 + 17);
    expect(pool.roots).toEqual([]);
  });

  it('a config backup: only what the include set matches, with its roots', async () => {
    const { root, dataDir } = folderWithEverything();
    const options: SelectOptions = { ...base(dataDir), type: 'config', sets: { config: ['config/', 'current'] } };
    const pool = await selectEntries(root, options);
    const blocking = await selectEntries(root, { ...options, sync: true });
    expect(blocking).toEqual(pool);
    expect(pool.roots).toEqual([
      { path: 'config', kind: 'dir' },
      { path: 'current', kind: 'file' },
    ]);
    expect(pool.entries.map((e) => e.path)).toEqual([
      'config',
      'config/nested',
      'config/nested/extra.ini',
      'config/settings.json',
      'current',
    ]);
  });
});
