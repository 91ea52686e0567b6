import { existsSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServices } from '../../../electron/core/services';
import { startBackground } from '../../../electron/core/startup';
import { tempDir } from '../../helpers/temp';

function plant(file: string, hoursOld: number): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'half-written');
  const t = new Date(Date.now() - hoursOld * 3600_000);
  utimesSync(file, t, t);
  return file;
}

describe('temp files of atomic writes a killed process left', () => {
  it('a host start removes those over an hour old in the data directory, and nothing else', async () => {
    const root = tempDir('upkeep-temps-');
    const home = path.join(root, 'home');
    const services = createServices({ home, host: 'http' });
    const oldJournal = plant(path.join(home, 'journal', '.run-1.json.0123456789ab.tmp'), 2);
    const oldManifest = plant(
      path.join(home, 'backups', 'demo', '.demo-20260101-000000-abcd.json.a1b2c3d4e5f6.tmp'),
      30,
    );
    const fresh = plant(path.join(home, '.config.json.fedcba987654.tmp'), 0); // a write in progress
    const notOurs = plant(path.join(home, 'notes.tmp'), 5);
    const otherName = plant(path.join(home, 'journal', '.run-2.json.tmp'), 5);
    // A link out of the data directory is not followed.
    const outside = plant(path.join(root, 'elsewhere', '.data.json.0123456789ab.tmp'), 5);
    symlinkSync(path.join(root, 'elsewhere'), path.join(home, 'linked'));

    await (await startBackground(services, { firstRun: false, scheduler: false })).stop();

    expect(existsSync(oldJournal)).toBe(false);
    expect(existsSync(oldManifest)).toBe(false);
    for (const kept of [fresh, notOurs, otherName, outside]) expect(existsSync(kept), kept).toBe(true);
  });
});
