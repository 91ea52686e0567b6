import { describe, expect, it } from 'vitest';
import { buildRisk, majorChange, mergeRisks, readNotes } from '../../../electron/core/risk/flags';
import { fixedAdvisories } from '../../../electron/core/risk/npm-advisories';
import { fixedByTarget } from '../../../electron/core/risk/pypi-advisories';

describe('breaking: major versions', () => {
  it.each([
    ['1.4.2', '2.0.0', 'major version 1 → 2'],
    ['v1.9', 'v3.0.0rc1', 'major version 1 → 3'],
    ['0.3.1', '0.4.0', '0.x minor version 0.3 → 0.4 (breaking under semver)'],
    ['1:2.36-9+deb12u4', '1:3.0-1', 'major version 2 → 3'],
  ])('%s → %s is breaking', (from, to, why) => {
    expect(majorChange(from, to)).toBe(why);
  });

  it.each([
    ['1.4.2', '1.5.0'],
    ['0.3.1', '0.3.9'],
    ['2.0.0', '1.9.0'],
    ['abc1234', 'def5678'],
  ])('%s → %s is not', (from, to) => {
    expect(majorChange(from, to)).toBeNull();
  });
});

describe('release notes', () => {
  it('finds breaking changes and security fixes with the advisory ids they name', () => {
    const read = readNotes([
      {
        version: '2.1.0',
        body: '### Fixes\n- Security fix for CVE-2025-12345 and GHSA-P6mc-m468-83gw in the upload handler',
      },
      { version: '2.0.0', body: '## BREAKING CHANGES\n- config moved' },
    ]);
    expect(read.breaking).toBe('the release notes of 2.0.0 mark breaking changes');
    expect(read.security).toBe('the release notes of 2.1.0 mention a security fix');
    expect(read.advisories.map((a) => a.id)).toEqual(['CVE-2025-12345', 'GHSA-p6mc-m468-83gw']);
  });

  it('does not flag ordinary notes', () => {
    expect(readNotes([{ version: '1.1.0', body: 'Faster startup. Breaking news ticker widget added.' }])).toEqual({
      breaking: null,
      security: null,
      advisories: [],
    });
  });

  it('combines flags in a fixed order, and merges packages', () => {
    const risk = buildRisk({ installed: '1.0.0', target: '2.0.0', advisories: [{ id: 'PYSEC-1', source: 'pypi' }] });
    expect(risk.flags).toEqual(['security', 'breaking']);
    expect(risk.reasons).toEqual(['fixes PYSEC-1', 'major version 1 → 2']);
    const merged = mergeRisks([
      { name: 'a', risk },
      { name: 'b', risk: buildRisk({ installed: '1.0.0', target: '1.0.1' }) },
    ]);
    expect(merged.flags).toEqual(['security', 'breaking']);
    expect(merged.reasons[0]).toBe('a: fixes PYSEC-1');
  });
});

describe('advisories the update fixes', () => {
  it('PyPI: counts a vulnerability when a fixing version lies above the installed one and not above the target', () => {
    const vulns = [
      { id: 'PYSEC-1', fixed_in: ['1.1.0'] },
      { id: 'PYSEC-2', fixed_in: ['1.3.0'] },
      { id: 'PYSEC-3', fixed_in: ['1.1.0'], withdrawn: '2025-01-01T00:00:00Z' },
      { id: 'PYSEC-4', fixed_in: [] },
    ];
    expect(fixedByTarget(vulns, '1.0.0', '1.2.0').map((a) => a.id)).toEqual(['PYSEC-1']);
    expect(fixedByTarget(vulns, '1.0.0', '1.3.0').map((a) => a.id)).toEqual(['PYSEC-1', 'PYSEC-2']);
  });

  it('npm: an advisory counts when the installed version is in vulnerable_versions and the target is not', () => {
    const advisories = [
      {
        id: 1,
        url: 'https://github.com/advisories/GHSA-p6mc-m468-83gw',
        title: 'Prototype Pollution',
        severity: 'high',
        vulnerable_versions: '<4.17.19',
      },
      {
        id: 2,
        url: 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm',
        title: 'Command Injection',
        severity: 'high',
        vulnerable_versions: '<4.17.21',
      },
    ];
    expect(fixedAdvisories(advisories, '4.17.15', '4.17.20').map((a) => a.id)).toEqual(['GHSA-p6mc-m468-83gw']);
    expect(fixedAdvisories(advisories, '4.17.15', '4.17.21').map((a) => [a.id, a.aliases])).toEqual([
      ['GHSA-p6mc-m468-83gw', ['1']],
      ['GHSA-35jh-r3h4-6jhm', ['2']],
    ]);
    expect(fixedAdvisories(advisories, '4.17.21', '4.17.22')).toEqual([]);
  });
});
