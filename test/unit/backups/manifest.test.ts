import { describe, expect, it } from 'vitest';
import { checkManifestEntries, manifestEntrySchema } from '../../../electron/core/backups/manifest';

const good = { path: 'app/main.py', type: 'file', size: 12, mode: 0o644, mtime: 1700000000, sha256: 'a'.repeat(64) };

/** Entries that must pass, and entries each breaking one rule. */
const cases: [string, unknown][] = [
  ['a file', good],
  ['a folder', { path: 'app', type: 'directory', size: 0, mode: 0o755, mtime: 0 }],
  [
    'a symlink leaving the folder',
    { path: 'venv/bin/python3', type: 'symlink', size: 0, mode: 0o777, mtime: 1, linkpath: '/usr/bin/python3' },
  ],
  ['a fractional mtime', { ...good, mtime: 1.5 }],
  ['a unicode path', { ...good, path: 'données/été.txt' }],
  ['a name with dots', { ...good, path: 'a/..b/c..' }],
  ['null', null],
  ['an array', [good]],
  ['a string', 'app/main.py'],
  ['an unknown key', { ...good, owner: 'root' }],
  ['no path', { ...good, path: undefined }],
  ['an empty path', { ...good, path: '' }],
  ['a path too long', { ...good, path: 'a'.repeat(4097) }],
  ['an absolute path', { ...good, path: '/etc/passwd' }],
  ['a parent step', { ...good, path: 'a/../../x' }],
  ['a NUL in the path', { ...good, path: 'a\0b' }],
  ['a numeric path', { ...good, path: 7 }],
  ['a hardlink type', { ...good, type: 'hardlink' }],
  ['a negative size', { ...good, size: -1 }],
  ['a fractional size', { ...good, size: 1.5 }],
  ['a size as text', { ...good, size: '12' }],
  ['an unsafe size', { ...good, size: 2 ** 60 }],
  ['a mode over 0777', { ...good, mode: 0o4755 }],
  ['a negative mode', { ...good, mode: -1 }],
  ['no mtime', { ...good, mtime: undefined }],
  ['an mtime as text', { ...good, mtime: '2024-01-01' }],
  ['a short sha256', { ...good, sha256: 'abc' }],
  ['an uppercase sha256', { ...good, sha256: 'A'.repeat(64) }],
  ['a numeric linkpath', { ...good, linkpath: 5 }],
];

describe('manifest entries, checked by hand', () => {
  // The first six are valid, every other one breaks a rule.
  for (const [index, [name, entry]] of cases.entries()) {
    it(`gives zod's verdict on ${name}`, () => {
      // JSON has no undefined: a key set to undefined here stands for a missing key.
      const value =
        entry && typeof entry === 'object' && !Array.isArray(entry)
          ? Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined))
          : entry;
      const zodOk = manifestEntrySchema.safeParse(value).success;
      const ours = (() => {
        try {
          checkManifestEntries([good, value]);
          return true;
        } catch (error) {
          expect((error as Error).message).toMatch(/^entries\[1\]: /);
          return false;
        }
      })();
      expect(zodOk).toBe(index < 6);
      expect(ours).toBe(zodOk);
    });
  }

  it('passes a list of 10,000 entries through as it is', () => {
    const list = Array.from({ length: 10_000 }, (_, i) => ({ ...good, path: `src/mod_${i}.py` }));
    expect(checkManifestEntries(list)).toBe(list);
  });
});
