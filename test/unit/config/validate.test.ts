import { describe, expect, it } from 'vitest';
import { UpkeepError } from '../../../shared/errors';
import { parseComponentsDocument, validateComponent } from '../../../electron/core/config/validate';

function errorOf(fn: () => unknown): UpkeepError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UpkeepError) return error;
    throw error;
  }
  throw new Error('expected an UpkeepError');
}

describe('component config validation', () => {
  it('accepts a full release_archive component and keeps OctoPrint keys', () => {
    const config = validateComponent('otrs-web', {
      displayName: 'OTRS Web',
      type: 'github_release',
      user: 'scaleflower',
      repo: 'otrs-web',
      update_folder: '/srv/otrs',
      method: 'release_archive',
      install: [['pip', 'install', '-r', 'requirements.txt']],
      some_octoprint_extra: 1,
    });
    expect(config.name).toBe('OTRS Web');
    expect(config.folder).toBe('/srv/otrs');
    expect(config).not.toHaveProperty('displayName');
    expect(config).not.toHaveProperty('update_folder');
    expect(config).toHaveProperty('some_octoprint_extra', 1);
  });

  it('names the missing mandatory key and the component', () => {
    const error = errorOf(() => validateComponent('web', { type: 'github_release', repo: 'x' }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('components.web.user');
    expect(error.message).toContain('required for type github_release');
    expect(error.details?.fields).toEqual(['components.web.user']);
  });

  it('rejects an unknown type and an unknown method, listing the choices', () => {
    const type = errorOf(() => validateComponent('a', { type: 'svn_release' }));
    expect(type.message).toMatch(/components\.a\.type: must be one of: github_release/);
    const method = errorOf(() => validateComponent('a', { type: 'always_current', method: 'ftp' }));
    expect(method.message).toMatch(/components\.a\.method: must be one of: pip, npm/);
  });

  it('rejects bad ids', () => {
    for (const id of ['Bad', '-x', 'a b', 'x'.repeat(65), '../etc', '']) {
      const error = errorOf(() => validateComponent(id, { type: 'always_current' }));
      expect(error.code).toBe('INVALID_CONFIG');
      expect(error.message).toContain('not a valid component id');
    }
  });

  it('requires method-specific keys', () => {
    expect(
      errorOf(() => validateComponent('p', { type: 'pypi_release', package: 'x', method: 'pip' })).message,
    ).toContain('components.p.pip: is required for method pip');
    expect(
      errorOf(() => validateComponent('g', { type: 'git_commit', folder: '/x', method: 'update_script' })).message,
    ).toContain('components.g.update_script');
    expect(
      errorOf(() => validateComponent('o', { type: 'always_current', method: 'openwebui' })).details?.fields,
    ).toEqual(['components.o.api_base', 'components.o.function_id', 'components.o.file']);
  });

  it('infers OctoPrint methods and channels', () => {
    const pip = validateComponent('op', {
      type: 'github_release',
      user: 'u',
      repo: 'r',
      pip: 'x=={target_version}',
      prerelease: true,
      prerelease_channel: 'rc/devel',
    });
    expect(pip.method).toBe('pip');
    // OctoPrint: a prerelease_channel with no prerelease_branches offers every prerelease.
    expect(pip.channel).toBe('prerelease');
    const listed = validateComponent('op', {
      type: 'github_release',
      user: 'u',
      repo: 'r',
      prerelease: true,
      prerelease_channel: 'rc/devel',
      prerelease_branches: [{ name: 'Devel', branch: 'rc/devel' }],
    });
    expect(listed.channel).toBe('rc/devel');
    // Not among prerelease_branches: accepted, and the channel matches its own branch only.
    const unlisted = validateComponent('op', {
      type: 'github_release',
      user: 'u',
      repo: 'r',
      prerelease: true,
      prerelease_channel: 'rc/other',
      prerelease_branches: [{ name: 'Devel', branch: 'rc/devel' }],
    });
    expect(unlisted.channel).toBe('rc/other');
    const all = validateComponent('op', { type: 'github_release', user: 'u', repo: 'r', prerelease: true });
    expect(all.channel).toBe('prerelease');
    const single = validateComponent('sf', {
      type: 'always_current',
      method: 'single_file_plugin',
      url: 'https://x/{target_version}.py',
      file: '/p.py',
    });
    expect(single.method).toBe('single_file');
  });

  it('checks argv lists and checksums', () => {
    expect(
      errorOf(() => validateComponent('a', { type: 'always_current', install: ['pip install'] })).message,
    ).toContain('components.a.install.0');
    expect(errorOf(() => validateComponent('a', { type: 'always_current', checksum: 'md5:abc' })).message).toContain(
      'sha256:<64 hex digits>',
    );
  });

  it('reports every broken component of a document together, with the line for syntax errors', () => {
    const error = errorOf(() =>
      parseComponentsDocument(
        'components:\n  a: { type: github_release }\n  b: { type: nope }\n  c: { type: always_current }\n',
        'file.yaml',
      ),
    );
    expect(error.message).toContain('components.a.user');
    expect(error.message).toContain('components.b.type');
    const syntax = errorOf(() => parseComponentsDocument('components:\n  a: [unclosed\n', 'bad.yaml'));
    expect(syntax.code).toBe('INVALID_CONFIG');
    expect(syntax.message).toMatch(/^bad\.yaml line \d+: not valid YAML or JSON/);
    expect(errorOf(() => parseComponentsDocument('a: 1\n', 'x.yaml')).message).toContain(
      'expected a top-level "components:" mapping',
    );
  });

  it('reads JSON as well as YAML', () => {
    const parsed = parseComponentsDocument(
      JSON.stringify({ components: { n: { type: 'npm_release', package: 'left-pad' } } }),
      'c.json',
    );
    expect(parsed.n?.package).toBe('left-pad');
  });
});
