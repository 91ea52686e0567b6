import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKERS } from '../../../electron/core/checkers/registry';
import { CHECK_TYPES } from '../../../shared/schemas/component';

describe('checker registry', () => {
  it('has one checker per check type, each answering for its own type', () => {
    for (const type of CHECK_TYPES) {
      const checker = (CHECKERS as Record<string, { type: string } | undefined>)[type];
      expect(checker, type).toBeDefined();
      expect(checker?.type).toBe(type);
    }
  });

  it('keeps one file per check type (kebab-case) and strategies free of each other', () => {
    const dir = path.join(process.cwd(), 'electron', 'core', 'checkers');
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    for (const type of Object.keys(CHECKERS)) {
      const file = `${type.replace(/_/g, '-')}.ts`;
      expect(files, file).toContain(file);
      const source = readFileSync(path.join(dir, file), 'utf8');
      for (const other of Object.keys(CHECKERS)) {
        if (other === type) continue;
        expect(source, `${file} imports ${other}`).not.toMatch(new RegExp(`from '\\./${other.replace(/_/g, '-')}'`));
      }
    }
  });
});
