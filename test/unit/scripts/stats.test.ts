import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli';
import { tempDir } from '../../helpers/temp';

/** `npm run stats` on another tree, as `node scripts/stats.mjs --root DIR …`. */
function stats(root: string, ...args: string[]) {
  return spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'stats.mjs'), '--root', root, ...args], {
    encoding: 'utf8',
  });
}

function write(root: string, file: string, text: string): number {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

const lines = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join('\n');

/**
 * A small source tree whose figures are known: a 620-line file holding a 160-line function and a
 * 152-line method, three casts (one of them chained) beside an `as const` and casts in a string
 * and a comment that do not count, three `any`, one line over 120 characters, and registries
 * naming four check types and update methods spelled in a known number of files.
 */
function knownTree(): { root: string; totalLines: number } {
  const root = tempDir('upkeep-stats-');
  let total = 0;
  total += write(
    root,
    'electron/core/checkers/registry.ts',
    'const a = 1;\nconst b = 2;\nexport const CHECKERS = { github_release: a, npm_release: b } satisfies Record<string, number>;\n',
  );
  total += write(
    root,
    'electron/core/updaters/registry.ts',
    'const g = 1;\nconst s = 2;\nexport const UPDATERS = { git: g, single_file: s };\n',
  );
  const longOne = [
    'export function longOne(): number {',
    lines(158, (i) => `  const v${i} = ${i};`),
    '  return 0;',
    '}',
  ].join('\n');
  const method = [
    'export class Engine {',
    '  run(): number {',
    lines(149, (i) => `    const w${i} = ${i};`),
    '    return 1;',
    '  }',
    '}',
  ].join('\n');
  const head = `// a file of known size\n${longOne}\n${method}\n`;
  const headLines = head.split('\n').length - 1;
  total += write(
    root,
    'electron/core/big.ts',
    `${head}${lines(620 - headLines, (i) => `export const filler${i} = ${i};`)}\n`,
  );
  total += write(
    root,
    'shared/casts.ts',
    [
      'declare const x: unknown;',
      'declare const y: unknown;',
      'export const a = x as string;',
      'export const b = <number>y;',
      'export const c = x as unknown as Date;',
      'export const d = [1, 2] as const;',
      "export const e = 'x as Bar, <Baz>y';",
      '// x as Qux',
      'export let q: any;',
      'export function f(v: any): any {',
      '  return v;',
      '}',
      `export const long = '${'l'.repeat(121 - "export const long = '';".length)}';`,
      `export const edge = '${'e'.repeat(120 - "export const edge = '';".length)}';`,
      "export const picked = { method: 'git' };",
      '',
    ].join('\n'),
  );
  total += write(
    root,
    'renderer/src/App.tsx',
    'export function App() {\n  const kind = { type: \'npm_release\' };\n  return <p title="a npm_release in prose">{kind.type}</p>;\n}\n',
  );
  // Not source: tests, benches, scripts, declaration files and test files beside the code.
  write(root, 'test/unit/x.test.ts', "export const t = 1 as unknown as string; // 'npm_release'\n");
  write(root, 'bench/b.ts', 'export const t = 1 as unknown as string;\n');
  write(
    root,
    'electron/core/big.test.ts',
    lines(900, (i) => `export const t${i} = ${i} as unknown as string;`),
  );
  write(root, 'shared/gen.d.ts', 'export declare const t: any;\n');
  return { root, totalLines: total };
}

// Each case starts node with the TypeScript parser: seconds on a loaded machine.
describe('npm run stats', { timeout: 120_000 }, () => {
  it('reports the largest file, the longest functions, casts, any and long lines of a known tree', () => {
    const { root, totalLines } = knownTree();
    const run = stats(root, '--json');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.files).toBe(5);
    expect(out.lines).toBe(totalLines);
    expect(out.largestFiles[0]).toEqual({ file: 'electron/core/big.ts', lines: 620 });
    expect(out.largestFiles).toHaveLength(5);
    expect(out.longestFunctions.slice(0, 2)).toEqual([
      { name: 'longOne', file: 'electron/core/big.ts', line: 2, lines: 161 },
      { name: 'Engine.run', file: 'electron/core/big.ts', line: 164, lines: 152 },
    ]);
    // x as string, <number>y, x as unknown as Date (one cast); not as const, a string or a comment.
    expect(out.casts.count).toBe(3);
    expect(out.casts.per1000Lines).toBe(Math.round((3 / totalLines) * 10000) / 10);
    expect(out.any).toBe(3);
    expect(out.linesOver120).toBe(1);
    expect(out.overLimits.filesOver500Lines).toEqual([{ file: 'electron/core/big.ts', lines: 620 }]);
    expect(out.overLimits.functionsOver150Lines.map((f: { name: string }) => f.name)).toEqual([
      'longOne',
      'Engine.run',
    ]);
  });

  it('counts the files that spell each check type and update method, read from the registries', () => {
    const { root } = knownTree();
    const out = JSON.parse(stats(root, '--json').stdout);
    // npm_release: its registry and the renderer (prose around the name does not count).
    expect(out.spelled.checkTypes).toEqual([
      { name: 'npm_release', files: 2 },
      { name: 'github_release', files: 1 },
    ]);
    expect(out.spelled.updateMethods).toEqual([
      { name: 'git', files: 2 },
      { name: 'single_file', files: 1 },
    ]);
  });

  it('prints the figures as text by default', () => {
    const { root } = knownTree();
    const run = stats(root);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Largest files:\n\s+620 {2}electron\/core\/big\.ts/);
    expect(run.stdout).toMatch(/Longest functions \(of \d+\):\n\s+161 {2}longOne {2}electron\/core\/big\.ts:2/);
    expect(run.stdout).toContain('Type casts: 3 (');
    expect(run.stdout).toContain('Lines over 120 characters: 1');
    expect(run.stdout).toContain('npm_release 2, github_release 1');
  });

  it('fails, rather than report zeros, on a tree it cannot read', () => {
    const empty = tempDir('upkeep-stats-');
    const run = stats(empty);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/registry/);
    const noRegistry = tempDir('upkeep-stats-');
    write(noRegistry, 'electron/core/checkers/registry.ts', 'export const nothing = 1;\n');
    write(noRegistry, 'electron/core/updaters/registry.ts', 'export const nothing = 1;\n');
    const unread = stats(noRegistry);
    expect(unread.status).not.toBe(0);
    expect(unread.stderr).toContain('exports no registry object');
  });

  it('reads a registry built by a helper from the object it is given', () => {
    const root = tempDir('upkeep-stats-');
    write(
      root,
      'electron/core/checkers/registry.ts',
      'declare function define<T>(v: T): T;\nexport const CHECKERS = define({ pip_env: 1, apt: 2 });\n',
    );
    write(root, 'electron/core/updaters/registry.ts', 'export const UPDATERS = { apt: 1 } as const;\n');
    write(root, 'shared/uses.ts', "export const kinds = ['apt', 'pip_env'];\n");
    const out = JSON.parse(stats(root, '--json').stdout);
    expect(out.spelled.checkTypes).toEqual([
      { name: 'apt', files: 3 },
      { name: 'pip_env', files: 2 },
    ]);
    expect(out.spelled.updateMethods).toEqual([{ name: 'apt', files: 3 }]);
  });

  it('runs on this repository and finds its registries', () => {
    const run = stats(repoRoot, '--json');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.files).toBeGreaterThan(100);
    expect(out.spelled.checkTypes.map((s: { name: string }) => s.name)).toContain('github_release');
    expect(out.spelled.updateMethods.map((s: { name: string }) => s.name)).toContain('release_archive');
    expect(out.longestFunctions[0].lines).toBeGreaterThan(0);
  });
});
