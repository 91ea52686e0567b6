import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, repoRoot, upkeep } from '../../helpers/cli';
import { tempDir } from '../../helpers/temp';

/** The CLI names the real cause: the folder that is missing, the id that names nothing — with exit 2 for bad usage. */
describe('the CLI says what is wrong', () => {
  beforeAll(() => buildCli());

  function home(): { home: string; file: (text: string) => string } {
    const dir = tempDir();
    return {
      home: path.join(dir, 'home'),
      file: (text) => {
        const f = path.join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
        writeFileSync(f, text);
        return f;
      },
    };
  }

  it('a missing folder is named as missing, not as a program that is not installed', () => {
    const h = home();
    const missing = path.join(path.dirname(h.home), 'nowhere');
    expect(
      upkeep([
        '--home',
        h.home,
        'component',
        'add',
        '--file',
        h.file(`components:\n  bot:\n    type: git_commit\n    folder: ${missing}\n    method: git\n`),
      ]).status,
    ).toBe(0);
    const check = upkeep(['--home', h.home, '--json', 'check', 'bot']);
    const result = (check.json() as { components: { error: { code: string; message: string } }[] }).components[0];
    expect(result?.error.code).toBe('NOT_FOUND');
    expect(result?.error.message).toContain(`The folder ${missing} does not exist, so git could not run in it`);
    expect(result?.error.message).not.toMatch(/ENOENT|installed/);

    // A file where the folder should be is named as such too.
    const file = path.join(path.dirname(h.home), 'a-file');
    writeFileSync(file, 'x');
    expect(
      upkeep([
        '--home',
        h.home,
        'component',
        'add',
        '--replace',
        '--file',
        h.file(`components:\n  bot:\n    type: git_commit\n    folder: ${file}\n    method: git\n`),
      ]).status,
    ).toBe(0);
    const again = (
      upkeep(['--home', h.home, '--json', 'check', 'bot']).json() as { components: { error: { message: string } }[] }
    ).components[0];
    expect(again?.error.message).toContain(`The folder ${file} is not a folder`);
  });

  it("prints the README's example error word for word (the file, then the key; no prefix twice)", () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const example = /`(upkeep: bad\.yaml: [^`]+)`/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const dir = tempDir();
    writeFileSync(path.join(dir, 'bad.yaml'), 'components:\n  web:\n    type: github_release\n    repo: shop\n');
    const run = upkeep(['--home', path.join(dir, 'home'), 'component', 'add', '--file', path.join(dir, 'bad.yaml')]);
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe(example);
  });

  it('an id that names no component is an error with exit 2 — before any question, for update, rollback, check and the rest', () => {
    const h = home();
    mkdirSync(h.home, { recursive: true });
    for (const args of [
      ['update', 'nosuch'],
      ['update', 'nosuch', '--yes'],
      ['rollback', 'nosuch'],
      ['check', 'nosuch'],
      ['component', 'remove', 'nosuch'],
      ['channel', 'nosuch'],
    ]) {
      const run = upkeep(['--home', h.home, ...args]);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toContain('No component "nosuch"');
      expect(run.stderr).not.toContain('--yes');
      expect(run.stdout).toBe('');
    }
    const json = upkeep(['--home', h.home, '--json', 'update', 'nosuch', '--yes']);
    expect(json.status).toBe(2);
    expect(json.json()).toMatchObject({ error: { code: 'NOT_FOUND', details: { kind: 'component' } } });
  });
});
