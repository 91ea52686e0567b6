import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UpkeepError } from '../../../shared/errors';
import { allPaths, gzip, gzipBomb, rawTar } from '../archive/fixtures';
import { plantBackup } from '../../fixtures/planted-backup';
import { backupWorld } from './setup';

/**
 * A hostile archive placed in the backups folder with a manifest that matches it byte for byte
 * (someone who can write there can compute a sha256): a restore must still refuse it, write
 * nothing outside its staging folder, and leave the component folder untouched.
 */
const cases: {
  name: string;
  archive: () => Buffer;
  entries: { path: string; type: string; size: number }[];
  size: number;
  code: string;
}[] = [
  {
    name: '../ entries',
    archive: () => gzip(rawTar([{ path: '../escaped.txt', data: 'x' }])),
    entries: [{ path: 'escaped.txt', type: 'file', size: 1 }],
    size: 1,
    code: 'UNSAFE_ARCHIVE',
  },
  {
    name: 'absolute paths',
    archive: () => gzip(rawTar([{ path: '/tmp/upkeep-abs-escape.txt', data: 'x' }])),
    entries: [{ path: 'tmp/upkeep-abs-escape.txt', type: 'file', size: 1 }],
    size: 1,
    code: 'UNSAFE_ARCHIVE',
  },
  {
    name: 'symlink then write-through',
    archive: () =>
      gzip(
        rawTar([
          { path: 'out', flag: '2', linkpath: '../..' },
          { path: 'out/escaped.txt', data: 'x' },
        ]),
      ),
    entries: [
      { path: 'out', type: 'symlink', size: 0 },
      { path: 'out/escaped.txt', type: 'file', size: 1 },
    ],
    size: 1,
    code: 'UNSAFE_ARCHIVE',
  },
  {
    name: 'hardlink escape',
    archive: () => gzip(rawTar([{ path: 'h', flag: '1', linkpath: '../../home/config.json' }])),
    entries: [{ path: 'h', type: 'file', size: 0 }],
    size: 0,
    code: 'UNSAFE_ARCHIVE',
  },
  {
    name: 'device file',
    archive: () => gzip(rawTar([{ path: 'null', flag: '3' }])),
    entries: [{ path: 'null', type: 'file', size: 0 }],
    size: 0,
    code: 'UNSAFE_ARCHIVE',
  },
  {
    name: 'gzip bomb',
    archive: () => gzipBomb(256 * 1024 * 1024),
    entries: [{ path: 'zeros.bin', type: 'file', size: 100 }],
    size: 100,
    code: 'ARCHIVE_TOO_LARGE',
  },
];

describe('restore refuses hostile archives planted in the backups folder', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { root, home, folder, services } = backupWorld();
      writeFileSync(path.join(folder, 'app.txt'), 'the real app');
      mkdirSync(path.join(folder, 'data'));
      writeFileSync(path.join(folder, 'data/user.db'), 'user data');
      const id = 'demo-20250101-000000-0bad';
      plantBackup(home, id, c.archive(), c.entries, { size: c.size });
      const snapshot = () =>
        allPaths(root, (p) => p.includes(`${path.sep}.demo.upkeep-restore-`))
          .map((p) => {
            const rel = path.relative(root, p);
            return rel.startsWith('home')
              ? `${rel}`
              : `${rel}:${(() => {
                  try {
                    return readFileSync(p, 'utf8');
                  } catch {
                    return 'dir';
                  }
                })()}`;
          })
          .filter(
            (p) =>
              !p.startsWith(`home${path.sep}backups`) &&
              !p.startsWith(`home${path.sep}config.json`) &&
              !p.startsWith(`home${path.sep}locks`),
          );
      const before = snapshot();
      const error = await services.backups.restore({ backupId: id }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UpkeepError);
      expect((error as UpkeepError).code).toBe(c.code);
      expect((error as UpkeepError).message).toMatch(/Refused archive|damaged/);
      // Folder untouched, nothing written anywhere else, staging gone.
      expect(snapshot()).toEqual(before);
      expect(readdirSync(path.dirname(folder))).toEqual(['demo']);
      // Verification says the same.
      const verify = await services.backups.verify(id);
      expect(verify.ok).toBe(false);
      expect(verify.error?.code).toBe(c.code);
    });
  }
});
