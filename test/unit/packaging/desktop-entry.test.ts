import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli';
import { loadBuilderConfig } from './packaged-files';

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

const MAIN_CATEGORIES = ['AudioVideo', 'Audio', 'Video', 'Development', 'Education', 'Game', 'Graphics', 'Network', 'Office', 'Science', 'Settings', 'System', 'Utility'];

describe('Linux desktop entry', () => {
  const text = readFileSync(path.join(repoRoot, 'build', 'upkeep-desktop.desktop'), 'utf8');
  const groups = parseDesktopEntry(text);
  const entry = groups.get('Desktop Entry') as Map<string, string>;

  it('is a valid application entry', () => {
    expect(text.split('\n')[0]).toBe('[Desktop Entry]');
    expect([...groups.keys()]).toEqual(['Desktop Entry']);
    expect(entry.get('Type')).toBe('Application');
    expect(entry.get('Name')).toBe('Upkeep');
    expect(entry.get('Exec')).toMatch(/^upkeep-desktop( %[uUfF])?$/); // not `upkeep`, which is the CLI
    expect(entry.get('Icon')).toBe('upkeep-desktop');
    expect(entry.get('Terminal')).toBe('false');
    for (const list of ['Categories', 'Keywords']) expect(entry.get(list)).toMatch(/^[^;]+(;[^;]+)*;$/);
    expect((entry.get('Categories') as string).split(';').some((c) => MAIN_CATEGORIES.includes(c))).toBe(true);
    expect(entry.get('StartupWMClass')).toBe('Upkeep');
  });

  it('is the entry electron-builder writes into the AppImage and deb (Exec and Icon are filled in by it)', async () => {
    const config = await loadBuilderConfig();
    const fromConfig = config.linux?.desktop?.entry as Record<string, string>;
    const fromFile = Object.fromEntries([...entry].filter(([k]) => !['Type', 'Exec', 'Icon'].includes(k)));
    expect(fromConfig).toEqual(fromFile);
    expect((config.linux as { executableName: string }).executableName).toBe(entry.get('Exec')?.split(' ')[0]);
  });
});
