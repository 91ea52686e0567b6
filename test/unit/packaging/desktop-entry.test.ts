import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli';
import { debTargetPreview, loadBuilderConfig } from './packaged-files';

/** Parse a desktop entry file (freedesktop Desktop Entry Specification 1.5) into groups of key → value. */
function parseDesktopEntry(text: string): Map<string, Map<string, string>> {
  const groups = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const group = /^\[([^\]]+)\]$/.exec(line);
    if (group) {
      current = new Map();
      groups.set(group[1] as string, current);
      return;
    }
    const kv = /^([A-Za-z0-9-]+(?:\[[^\]]+\])?)=(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`line ${i + 1} is not a key=value in a group: ${line}`);
    if (current.has(kv[1] as string)) throw new Error(`line ${i + 1}: duplicate key ${kv[1]}`);
    current.set(kv[1] as string, kv[2] as string);
  });
  return groups;
}

const MAIN_CATEGORIES = [
  'AudioVideo',
  'Audio',
  'Video',
  'Development',
  'Education',
  'Game',
  'Graphics',
  'Network',
  'Office',
  'Science',
  'Settings',
  'System',
  'Utility',
];
const file = path.join(repoRoot, 'build', 'upkeep-desktop.desktop');

let preview: Awaited<ReturnType<typeof debTargetPreview>>;
beforeAll(async () => {
  preview = await debTargetPreview();
}, 60_000);

describe('Linux desktop entry and deb metadata', () => {
  const text = readFileSync(file, 'utf8');
  const groups = parseDesktopEntry(text);
  const entry = groups.get('Desktop Entry') as Map<string, string>;

  it('build/upkeep-desktop.desktop is a valid application entry', () => {
    expect(text.split('\n')[0]).toBe('[Desktop Entry]');
    expect([...groups.keys()]).toEqual(['Desktop Entry']);
    expect(entry.get('Type')).toBe('Application');
    expect(entry.get('Name')).toBe('Upkeep');
    expect(entry.get('Exec')).toBe('/opt/Upkeep/upkeep-desktop %U'); // not `upkeep`, which is the CLI
    expect(entry.get('Icon')).toBe('upkeep-desktop');
    expect(entry.get('Terminal')).toBe('false');
    for (const list of ['Categories', 'Keywords']) expect(entry.get(list)).toMatch(/^[^;]+(;[^;]+)*;$/);
    expect((entry.get('Categories') as string).split(';').some((c) => MAIN_CATEGORIES.includes(c))).toBe(true);
    expect((entry.get('Comment') as string).length).toBeLessThan(100);
  });

  it('is exactly the entry electron-builder writes into the deb', () => {
    expect(preview.desktopEntry).toBe(text);
  });

  it("matches Electron's window app_id: StartupWMClass is the packaged package.json's desktopName", async () => {
    const config = await loadBuilderConfig();
    expect((config.extraMetadata as { desktopName: string }).desktopName).toBe('upkeep-desktop.desktop');
    expect(entry.get('StartupWMClass')).toBe('upkeep-desktop');
    expect((config.linux as { syncDesktopName: boolean }).syncDesktopName).toBe(true);
  });

  it('the deb has a maintainer and a homepage (electron-builder refuses to build it otherwise)', () => {
    expect(preview.meta).toEqual({
      name: 'upkeep',
      maintainer: expect.stringMatching(/^[^<]+ <[^@\s]+@[^>\s]+>$/),
      url: 'https://github.com/upkeep-app/upkeep#readme',
      vendor: 'Upkeep',
    });
  });
});
