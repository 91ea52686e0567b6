import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  isPrereleaseVersion,
  isVersion,
  orderVersions,
  sortVersionsDescending,
} from '../../../electron/core/versions/compare';
import { formatPep440, parsePep440 } from '../../../electron/core/versions/pep440';

describe('PEP 440', () => {
  it('orders the PEP 440 examples', () => {
    const ordered = [
      '1.0.dev456',
      '1.0a1',
      '1.0a2.dev456',
      '1.0a12.dev456',
      '1.0a12',
      '1.0b1.dev456',
      '1.0b2',
      '1.0b2.post345.dev456',
      '1.0b2.post345',
      '1.0rc1.dev456',
      '1.0rc1',
      '1.0',
      '1.0.post456.dev34',
      '1.0.post456',
      '1.1.dev1',
    ];
    for (let i = 0; i < ordered.length - 1; i++) {
      expect(
        orderVersions(ordered[i] as string, ordered[i + 1] as string, 'python'),
        `${ordered[i]} < ${ordered[i + 1]}`,
      ).toBe(-1);
    }
  });

  it('normalizes spellings', () => {
    expect(formatPep440(parsePep440('v1.0.0-RC1')!)).toBe('1.0.0rc1');
    expect(formatPep440(parsePep440(' 1.0alpha2 ')!)).toBe('1.0a2');
    expect(formatPep440(parsePep440('1.0-1')!)).toBe('1.0.post1');
    expect(formatPep440(parsePep440('1!2.0.dev')!)).toBe('1!2.0.dev0');
    expect(parsePep440('nightly')).toBeNull();
    expect(parsePep440('1.2.3+')).not.toBeNull();
  });

  it('explains an update in one line', () => {
    expect(compareVersions('1.2.9', '1.3.0', 'python')).toEqual({
      update: true,
      relation: 'newer',
      explanation: '1.3.0 > 1.2.9 by PEP 440',
    });
    expect(compareVersions('v1.2.9', 'v1.3.0', 'python').explanation).toBe('1.3.0 > 1.2.9 by PEP 440');
  });

  it('treats a local build of a release as that release (1.3.0.post1+g1014712 vs 1.3.0)', () => {
    const r = compareVersions('1.3.0.post1+g1014712', '1.3.0', 'python');
    expect(r.update).toBe(false);
    expect(compareVersions('1.3.0+g1014712', '1.3.0', 'python').relation).toBe('equal');
    expect(compareVersions('1.3.0.dev4+gabc', '1.3.0', 'python').update).toBe(true);
  });

  it('tolerates v prefixes, whitespace and a trailing +', () => {
    expect(compareVersions(' v1.3.0 \n', '1.3.0+', 'python').update).toBe(false);
    expect(compareVersions('1.3.0', 'v1.3.1 ', 'python').update).toBe(true);
  });

  it('reads git describe output', () => {
    expect(compareVersions('1.3.0-5-g1014712', '1.3.0', 'python').update).toBe(false);
    expect(compareVersions('1.3.0-5-g1014712', '1.3.1', 'python').update).toBe(true);
  });
});

describe('the no-loop case: 1.0.0-rc1 tag vs installed 1.0.0rc1', () => {
  for (const scheme of ['python', 'semantic', 'unequal', 'python_unequal', 'semantic_unequal', 'calendar'] as const) {
    it(`is current under ${scheme}`, () => {
      const r = compareVersions('1.0.0rc1', '1.0.0-rc1', scheme);
      expect(r.update).toBe(false);
      expect(r.relation).toBe('equal');
    });
  }
  it('a later rc is still an update', () => {
    expect(compareVersions('1.0.0rc1', '1.0.0-rc2', 'semantic').update).toBe(true);
    expect(compareVersions('1.0.0rc1', '1.0.0', 'python').update).toBe(true);
  });
});

describe('semantic', () => {
  it('follows semver precedence', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ];
    for (let i = 0; i < ordered.length - 1; i++)
      expect(orderVersions(ordered[i] as string, ordered[i + 1] as string, 'semantic')).toBe(-1);
  });
  it('ignores build metadata and fills missing parts', () => {
    expect(compareVersions('1.2.0+build5', '1.2', 'semantic').relation).toBe('equal');
    expect(compareVersions('1.2.0', '1.10.0', 'semantic').explanation).toBe('1.10.0 > 1.2.0 by semantic versioning');
  });
  it('does not offer older versions', () => {
    expect(compareVersions('2.0.0', '1.9.9', 'semantic')).toMatchObject({ update: false, relation: 'older' });
  });
});

describe('unequal schemes', () => {
  it('offer any different version, also an older one', () => {
    expect(compareVersions('2.0.0', '1.9.9', 'python_unequal')).toMatchObject({ update: true, relation: 'older' });
    expect(compareVersions('abc', 'def', 'unequal')).toMatchObject({ update: true, relation: 'different' });
    expect(compareVersions('2.0.0', '1.9.9', 'semantic_unequal').explanation).toBe(
      '1.9.9 != 2.0.0 by semantic versioning inequality',
    );
  });
  it('treat spellings of the same version as equal', () => {
    expect(compareVersions('v1.2.0', '1.2.0', 'unequal').update).toBe(false);
  });
});

describe('calendar', () => {
  it('compares year.month.patch numerically', () => {
    expect(compareVersions('2024.05.1', '2024.5.2', 'calendar')).toMatchObject({
      update: true,
      explanation: '2024.5.2 > 2024.05.1 by calendar versioning',
    });
    expect(compareVersions('2024.12.0', '2025.1.0', 'calendar').update).toBe(true);
    expect(compareVersions('2024-05-01', '2024.05.01', 'calendar').relation).toBe('equal');
    expect(compareVersions('24.5', '24.5.1', 'calendar').update).toBe(true);
    expect(compareVersions('2025.1.0', '2025.1.0rc1', 'calendar').update).toBe(false);
  });
});

describe('texts that are not versions', () => {
  it('fall back to text comparison with an explanation', () => {
    const r = compareVersions('1.2.0', 'nightly', 'python');
    expect(r.update).toBe(true);
    expect(r.explanation).toContain('not a PEP 440 version');
    expect(isVersion('nightly')).toBe(false);
  });
  it('sort after real versions', () => {
    const sorted = sortVersionsDescending(['nightly', '1.2.0', 'v1.10.0', '1.9.0rc1', 'latest'], (s) => s, 'python');
    expect(sorted).toEqual(['v1.10.0', '1.9.0rc1', '1.2.0', 'nightly', 'latest']);
  });
  it('knows pre-releases', () => {
    expect(isPrereleaseVersion('1.2.16rc2')).toBe(true);
    expect(isPrereleaseVersion('1.2.16')).toBe(false);
    expect(isPrereleaseVersion('1.0.0-beta.1', 'semantic')).toBe(true);
  });
  it('unknown installed version means an update is available', () => {
    expect(compareVersions(null, '1.0.0')).toMatchObject({ update: true, relation: 'unknown' });
    expect(compareVersions('1.0.0', null)).toMatchObject({ update: false, relation: 'unknown' });
  });
});
