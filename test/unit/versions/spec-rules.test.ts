import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { compareVersions, isVersion, orderVersions } from '../../../electron/core/versions/compare';
import { parsePep440 } from '../../../electron/core/versions/pep440';
import { parseSemantic } from '../../../electron/core/versions/semantic';

const sign = (n: number | null) => (n === null ? null : Math.sign(n));

/** Every adjacent pair ascends, and every pair is ordered as the list says. */
function expectAscending(list: string[], scheme: 'semantic' | 'python') {
  for (let i = 0; i < list.length; i++) {
    for (let j = 0; j < list.length; j++) {
      const want = Math.sign(i - j);
      expect(sign(orderVersions(list[i] as string, list[j] as string, scheme)), `${list[i]} vs ${list[j]}`).toBe(want);
    }
  }
}

describe('SemVer 2.0.0 §11 precedence (vectors from the spec text)', () => {
  it('§11.2: major, minor and patch compare numerically: 1.0.0 < 2.0.0 < 2.1.0 < 2.1.1', () => {
    expectAscending(['1.0.0', '2.0.0', '2.1.0', '2.1.1'], 'semantic');
    expect(orderVersions('1.10.0', '1.9.0', 'semantic')).toBe(1);
  });

  it('§11.3: a pre-release has lower precedence than its normal version: 1.0.0-alpha < 1.0.0', () => {
    expect(orderVersions('1.0.0-alpha', '1.0.0', 'semantic')).toBe(-1);
  });

  it("§11.4: the spec's own chain, 1.0.0-alpha < 1.0.0-alpha.1 < … < 1.0.0-rc.1 < 1.0.0", () => {
    expectAscending(
      [
        '1.0.0-alpha',
        '1.0.0-alpha.1',
        '1.0.0-alpha.beta',
        '1.0.0-beta',
        '1.0.0-beta.2',
        '1.0.0-beta.11',
        '1.0.0-rc.1',
        '1.0.0',
      ],
      'semantic',
    );
  });

  it('§11.4.2: identifiers with letters or hyphens compare lexically in ASCII order, case-sensitively', () => {
    // "r2" and "r100" are alphanumeric identifiers: '2' (0x32) > '1' (0x31).
    expect(orderVersions('1.2.3-r2', '1.2.3-r100', 'semantic')).toBe(1);
    expect(compareVersions('1.2.3-r100', '1.2.3-r2', 'semantic')).toMatchObject({ update: true, relation: 'newer' });
    expect(compareVersions('1.2.3-r2', '1.2.3-r100', 'semantic')).toMatchObject({ update: false, relation: 'older' });
    // 'F' (0x46) < 'f' (0x66): the two are different versions.
    expect(orderVersions('1.2.3-Foo', '1.2.3-foo', 'semantic')).toBe(-1);
    expect(compareVersions('1.2.3-Foo', '1.2.3-foo', 'semantic')).toMatchObject({ update: true, relation: 'newer' });
    expect(orderVersions('1.0.0-Beta', '1.0.0-alpha', 'semantic')).toBe(-1); // 'B' < 'a'
    expect(orderVersions('1.0.0-a-b', '1.0.0-a', 'semantic')).toBe(1); // hyphens are part of the identifier
  });

  it('§11.4.1 and §11.4.3: digit-only identifiers compare numerically and before alphanumeric ones', () => {
    expect(orderVersions('1.0.0-2', '1.0.0-10', 'semantic')).toBe(-1);
    expect(orderVersions('1.0.0-999', '1.0.0-a', 'semantic')).toBe(-1);
    expect(orderVersions('1.0.0-1a', '1.0.0-2', 'semantic')).toBe(1); // "1a" is alphanumeric
  });

  it('§11.4.4: a larger set of identifiers has higher precedence when the preceding ones are equal', () => {
    expect(orderVersions('1.0.0-alpha.1.0', '1.0.0-alpha.1', 'semantic')).toBe(1);
  });

  it('§10: build metadata does not figure in precedence', () => {
    expect(orderVersions('1.0.0+20130313144700', '1.0.0+exp.sha.5114f85', 'semantic')).toBe(0);
    expect(compareVersions('1.2.3+build.1', '1.2.3+build.2', 'semantic')).toMatchObject({
      update: false,
      relation: 'equal',
    });
  });
});

describe('npm semver loose spellings and limits', () => {
  it('=1.2.3, v 1.2.3, " = 1.2.3" and v=1.2.3 are 1.2.3, and never an update of it', () => {
    for (const loose of ['=1.2.3', 'v 1.2.3', ' = 1.2.3', 'v=1.2.3', '=v1.2.3', '  v1.2.3  ']) {
      expect(semver.valid(loose, { loose: true }), `npm semver reads ${loose}`).toBe('1.2.3');
      expect(parseSemantic(loose)?.numbers, loose).toEqual([1, 2, 3]);
      expect(compareVersions('1.2.3', loose, 'semantic'), loose).toMatchObject({ update: false, relation: 'equal' });
      expect(compareVersions(loose, '1.2.3', 'semantic'), loose).toMatchObject({ update: false, relation: 'equal' });
      expect(compareVersions(loose, '1.2.4', 'semantic'), loose).toMatchObject({ update: true, relation: 'newer' });
    }
  });

  it('refuses numbers past Number.MAX_SAFE_INTEGER and texts over 256 characters, as npm semver does', () => {
    const big = `${Number.MAX_SAFE_INTEGER + 2}.0.0`;
    expect(semver.valid(big, { loose: true })).toBeNull();
    expect(parseSemantic(big)).toBeNull();
    expect(isVersion(big, 'semantic')).toBe(false);
    expect(parseSemantic(`${Number.MAX_SAFE_INTEGER}.0.0`)?.numbers).toEqual([Number.MAX_SAFE_INTEGER, 0, 0]);
    const long = `1.0.0-${'a'.repeat(251)}`;
    expect(long.length).toBe(257);
    expect(() => new semver.SemVer(long, { loose: true })).toThrow(/longer than 256/);
    expect(parseSemantic(long)).toBeNull();
    expect(isVersion(long, 'semantic')).toBe(false);
    expect(parseSemantic(long.slice(0, 256))).not.toBeNull();
    const r = compareVersions('1.0.0', big, 'semantic');
    expect(r.relation).toBe('different');
    expect(r.explanation).toContain(`is larger than ${Number.MAX_SAFE_INTEGER}`);
  });

  it('agrees with npm semver (loose mode) on every pair of a mixed list', () => {
    const list = [
      '0.0.0',
      '0.0.1',
      '0.1.0',
      '1.0.0-0',
      '1.0.0-0.0',
      '1.0.0-1',
      '1.0.0-01',
      '1.0.0-2',
      '1.0.0-10',
      '1.0.0-A',
      '1.0.0-Alpha',
      '1.0.0-a',
      '1.0.0-a.1',
      '1.0.0-a.b',
      '1.0.0-a-1',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.10',
      '1.0.0-alpha.2',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-r100',
      '1.0.0-r2',
      '1.0.0-rc.1',
      '1.0.0rc1',
      '1.0.0-rc1',
      '1.0.0-rc10',
      '1.0.0-RC1',
      '1.0.0',
      '1.0.0+build',
      '=1.0.0',
      'v 1.0.1',
      ' = 1.0.2',
      '01.02.03',
      '1.2.3-beta.01',
      '2.0.0-x.7.z.92',
      '10.0.0',
      '9007199254740991.0.0',
    ];
    let pairs = 0;
    for (const a of list) {
      expect(semver.valid(a, { loose: true }), `npm semver reads ${a}`).not.toBeNull();
      expect(parseSemantic(a), `Upkeep reads ${a}`).not.toBeNull();
      for (const b of list) {
        expect(sign(orderVersions(a, b, 'semantic')), `${a} vs ${b}`).toBe(semver.compare(a, b, { loose: true }));
        pairs++;
      }
    }
    expect(pairs).toBe(list.length ** 2);
  });

  it('what npm semver refuses even in loose mode is not a semantic version here either', () => {
    for (const bad of ['1.2.3+', '1.2.3-+', '1.2.3-a..b', '1.2.3+a..b', '1.2.3 beta', 'a.b.c', '1.2.3-$', '']) {
      if (bad === '1.2.3+') continue; // Upkeep's one tolerance here: a lone trailing +, as tags carry it
      expect(semver.valid(bad, { loose: true }), bad).toBeNull();
      expect(parseSemantic(bad), bad).toBeNull();
    }
    expect(parseSemantic('1.2.3+')?.numbers).toEqual([1, 2, 3]);
    // npm's loose mode reads a trailing hyphen as the identifier "-" (1.2.3--): so does Upkeep.
    expect(semver.valid('1.2.3-', { loose: true })).toBe('1.2.3--');
    expect(parseSemantic('1.2.3-')?.pre).toEqual(['-']);
  });
});

describe('PEP 440', () => {
  it('1.0+a+ is not a version (a local label cannot end in +); 1.0+ and 1.0+a are', () => {
    expect(parsePep440('1.0+a+')).toBeNull();
    expect(parsePep440('1.0++')).toBeNull();
    expect(parsePep440('1.0+a')?.local).toEqual(['a']);
    expect(parsePep440('1.0+')?.local).toBeNull();
    expect(compareVersions('1.0', '1.0+a+', 'python')).toMatchObject({ update: true, relation: 'different' });
    expect(compareVersions('1.0', '1.0+a+', 'python').explanation).toContain('"1.0+a+" is not a PEP 440 version');
  });

  it('update decisions ignore local labels, and the explanation says so', () => {
    expect(compareVersions('1.3.0+g1014712', '1.3.0', 'python')).toEqual({
      update: false,
      relation: 'equal',
      explanation: '1.3.0 = 1.3.0+g1014712 by PEP 440 (local version label +g1014712 ignored)',
    });
    expect(compareVersions('1.3.0+ubuntu.1', '1.3.0+ubuntu.2', 'python')).toEqual({
      update: false,
      relation: 'equal',
      explanation: '1.3.0+ubuntu.2 = 1.3.0+ubuntu.1 by PEP 440 (local version labels +ubuntu.2 and +ubuntu.1 ignored)',
    });
    expect(compareVersions('1.3.0+cpu', '1.4.0', 'python').explanation).toBe(
      '1.4.0 > 1.3.0+cpu by PEP 440 (local version label +cpu ignored)',
    );
    // No label, no note.
    expect(compareVersions('1.3.0', '1.4.0', 'python').explanation).toBe('1.4.0 > 1.3.0 by PEP 440');
  });
});

describe("OctoPrint's force_base (base versions only)", () => {
  const fb = { forceBase: true };
  it('PEP 440: the base version is the epoch and release (pkg_resources base_version)', () => {
    // An installed release candidate is current once its final is out, when only bases count.
    expect(compareVersions('1.4.0rc1', '1.4.0', 'python', fb)).toMatchObject({ update: false, relation: 'equal' });
    expect(compareVersions('1.4.0rc1', '1.4.0', 'python')).toMatchObject({ update: true, relation: 'newer' });
    expect(compareVersions('1.4.0', '1.4.0.post1', 'python', fb)).toMatchObject({ update: false, relation: 'equal' });
    expect(compareVersions('1.4.0.dev5', '1.4.0', 'python', fb).update).toBe(false);
    expect(compareVersions('1.3.9', '1.4.0rc1', 'python', fb)).toMatchObject({ update: true, relation: 'newer' });
    expect(compareVersions('1!1.0', '2.0', 'python', fb)).toMatchObject({ update: false, relation: 'older' });
    expect(compareVersions('1.4.0rc1', '1.4.0', 'python', fb).explanation).toBe(
      '1.4.0 = 1.4.0rc1 by PEP 440 (force_base: base versions only)',
    );
  });
  it('semantic: major.minor.patch', () => {
    expect(compareVersions('2.0.0-rc.1', '2.0.0', 'semantic', fb)).toMatchObject({ update: false, relation: 'equal' });
    expect(compareVersions('2.0.0-rc.1', '2.0.1-rc.1', 'semantic', fb)).toMatchObject({
      update: true,
      relation: 'newer',
    });
  });
  it('also for python_unequal and semantic_unequal; not for unequal, which compares texts', () => {
    expect(compareVersions('1.4.0rc1', '1.4.0', 'python_unequal', fb).update).toBe(false);
    expect(compareVersions('2.0.0-rc.1', '2.0.0', 'semantic_unequal', fb).update).toBe(false);
    expect(compareVersions('1.4.0rc1', '1.4.0', 'unequal', fb).update).toBe(true);
  });
  it('is off by default, as OctoPrint reads it (check.get("force_base", False))', () => {
    expect(compareVersions('1.4.0rc1', '1.4.0', 'python').update).toBe(true);
    expect(compareVersions('2.0.0-rc.1', '2.0.0', 'semantic').update).toBe(true);
  });
});

describe('*_unequal: any different version is an update', () => {
  it('lower ones included, with the relation named', () => {
    for (const scheme of ['python_unequal', 'semantic_unequal', 'unequal'] as const) {
      expect(compareVersions('2.0.0', '1.9.9', scheme), scheme).toMatchObject({
        update: true,
        relation: scheme === 'unequal' ? 'older' : 'older',
      });
      expect(compareVersions('1.9.9', '2.0.0', scheme), scheme).toMatchObject({ update: true, relation: 'newer' });
      expect(compareVersions('1.9.9', '1.9.9', scheme), scheme).toMatchObject({ update: false, relation: 'equal' });
    }
  });
});
