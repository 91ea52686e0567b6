import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../electron/cli/main';
import { treeListing } from '../archive/fixtures';
import { tempDir } from '../../helpers/temp';

/** Run the CLI in-process, capturing what it prints. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads untyped CLI JSON
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string; json: () => any }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await runCli(args);
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  const stdout = out.join('');
  return { code, stdout, stderr: err.join(''), json: () => JSON.parse(stdout) };
}

describe('upkeep backup CLI', () => {
  it('create, list --json, verify, restore --yes, delete --yes', async () => {
    const root = tempDir();
    const home = path.join(root, 'home');
    const folder = path.join(root, 'app');
    const file = path.join(root, 'components.yaml');
    writeFileSync(
      file,
      `components:\n  web:\n    type: never_current\n    current: 2.0.0\n    folder: ${folder}\n    backup: { config: [settings.ini] }\n`,
    );
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'settings.ini'), 'a=1\n');
    writeFileSync(path.join(folder, 'main.py'), 'print(1)\n');
    expect((await cli(['--home', home, 'component', 'add', '--file', file])).code).toBe(0);

    const created = await cli([
      '--home',
      home,
      '--json',
      'backup',
      'create',
      'web',
      '--name',
      'first',
      '--description',
      'by hand',
    ]);
    expect(created.code, created.stdout + created.stderr).toBe(0);
    const id = created.json().backup.id as string;
    const cfg = await cli(['--home', home, '--json', 'backup', 'create', 'web', '--type', 'config', '--no-compress']);
    expect(cfg.code).toBe(0);

    const list = await cli(['--home', home, '--json', 'backup', 'list', 'web', '--sort', 'name', '--limit', '5']);
    expect(list.code).toBe(0);
    const doc = list.json();
    expect(doc.backups).toHaveLength(2);
    expect(doc.backups[1]).toMatchObject({ id, component: 'web', type: 'full', name: 'first' });
    for (const key of ['id', 'component', 'type', 'name', 'size', 'compressed_size', 'sha256', 'created_at'])
      expect(doc.backups[0]).toHaveProperty(key);
    expect((await cli(['--home', home, '--json', 'backup', 'list', '--type', 'config'])).json().backups).toHaveLength(
      1,
    );
    expect((await cli(['--home', home, 'backup', 'list', '--since', 'week'])).code).toBe(2);
    expect((await cli(['--home', home, 'backup', 'list', '--limit', '99'])).code).toBe(2);

    const verify = await cli(['--home', home, '--json', 'backup', 'verify', id]);
    expect(verify.code).toBe(0);
    expect(verify.json()).toMatchObject({ id, ok: true, error: null });

    const before = treeListing(folder);
    writeFileSync(path.join(folder, 'main.py'), 'broken');
    const noYes = await cli(['--home', home, 'backup', 'restore', id]);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('--yes');
    const restore = await cli(['--home', home, '--json', 'backup', 'restore', id, '--yes']);
    expect(restore.code, restore.stdout).toBe(0);
    expect(restore.json().restored.id).toBe(id);
    expect(restore.json().safety_backup.reason).toBe('safety');
    expect(treeListing(folder)).toEqual(before);

    const delNoYes = await cli(['--home', home, 'backup', 'delete', id]);
    expect(delNoYes.code).toBe(2);
    expect(delNoYes.stderr).toContain('Add --yes');
    const del = await cli(['--home', home, '--json', 'backup', 'delete', id, '--yes']);
    expect(del.code).toBe(0);
    expect(del.json()).toEqual({ deleted: id });
    const gone = await cli(['--home', home, '--json', 'backup', 'verify', id]);
    expect(gone.code).toBe(1);
    expect(gone.json().error.code).toBe('BACKUP_NOT_FOUND');
  });
});
