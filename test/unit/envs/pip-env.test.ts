import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakePypi } from '../../fixtures/servers';
import { makeVenv, makeWheel } from '../../fixtures/packages/packages';
import { CLI, envHome, freezeOf, type EnvHome } from './env-setup';

/**
 * A real venv with tiny wheels installed offline, a PyPI-like index (JSON API with
 * `vulnerabilities`, and a simple index pip installs from) serving newer versions.
 *   alpha 1.0.0 → 1.1.0 (fixes PYSEC-2025-1) and 2.0.0 (requirements keep alpha < 2)
 *   beta  1.0.0 → 2.0.0 (a major version: breaking)
 *   gamma 0.1.0 → 0.2.0 (pinned ==0.1.0 in requirements.txt: held back)
 */
describe('pip_env', () => {
  let h: EnvHome;
  let pypi: FakePypi;
  let python: string;
  let venv: string;
  let before: string;

  beforeAll(async () => {
    h = envHome('upkeep-pip-env-');
    const wheels = path.join(h.root, 'wheels');
    const published: Record<string, string[]> = {
      alpha: ['1.0.0', '1.1.0', '2.0.0'],
      beta: ['1.0.0', '2.0.0'],
      gamma: ['0.1.0', '0.2.0'],
    };
    pypi = await FakePypi.start();
    for (const [name, versions] of Object.entries(published)) {
      for (const v of versions) {
        const file = makeWheel(wheels, name, v);
        const vulnerabilities =
          name === 'alpha' && v === '1.0.0'
            ? [{ id: 'PYSEC-2025-1', aliases: ['CVE-2025-0001'], summary: 'alpha leaks secrets', fixed_in: ['1.1.0'] }]
            : [];
        pypi.addRelease(name, v, {
          files: [{ filename: path.basename(file), content: readFileSync(file) }],
          vulnerabilities,
        });
      }
    }
    venv = path.join(h.root, 'venv');
    python = makeVenv(venv);
    execFileSync(
      python,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--no-index',
        '--find-links',
        wheels,
        'alpha==1.0.0',
        'beta==1.0.0',
        'gamma==0.1.0',
      ],
      { env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' } },
    );
    writeFileSync(path.join(venv, 'requirements.txt'), '# the app\nalpha>=1.0,<2  # below 2\ngamma==0.1.0\nbeta\n');
    h.add('bot-env', {
      name: 'Bot packages',
      type: 'pip_env',
      method: 'pip_env',
      python,
      folder: venv,
      requirements: 'requirements.txt',
      index_url: pypi.indexUrl,
    });
    before = freezeOf(python);
  }, 120_000);

  afterAll(async () => {
    await pypi?.close();
    h?.cleanup();
  });

  it('lists every outdated package with installed, wanted and latest, honouring the pins, with risk flags', async () => {
    const { components } = await h.api.checkComponents({ ids: ['bot-env'], force: true }, CLI);
    const r = components[0];
    expect(r?.error).toBeNull();
    expect(r?.update_available).toBe(true);
    const byName = Object.fromEntries((r?.packages ?? []).map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect(byName.alpha).toMatchObject({ installed: '1.0.0', wanted: '1.1.0', latest: '2.0.0', target: '1.1.0' });
    expect(byName.alpha?.risk.flags).toEqual(['security']);
    expect(byName.alpha?.risk.advisories.map((a) => [a.id, a.aliases, a.fixed_in])).toEqual([
      ['PYSEC-2025-1', ['CVE-2025-0001'], ['1.1.0']],
    ]);
    expect(byName.beta).toMatchObject({ installed: '1.0.0', wanted: '2.0.0', latest: '2.0.0', target: '2.0.0' });
    expect(byName.beta?.risk.flags).toEqual(['breaking']);
    // The pin holds gamma: listed as outdated, not movable.
    expect(byName.gamma).toMatchObject({ installed: '0.1.0', wanted: '0.1.0', latest: '0.2.0', target: '0.1.0' });
    expect(byName.gamma?.risk.flags).toEqual([]);
    // The component carries the union of its packages' flags.
    expect(r?.risk_flags).toEqual(['security', 'breaking']);
    expect(r?.security).toBe(true);
    expect(r?.risk?.advisories.map((a) => a.id)).toEqual(['PYSEC-2025-1']);
    // The installed release's own document was asked for its vulnerabilities.
    expect(pypi.requests.some((q) => q.path === '/pypi/alpha/1.0.0/json')).toBe(true);
  });

  it('refuses packages that are not outdated or that a pin holds, before changing anything', async () => {
    const freeze = freezeOf(python);
    const [unknown] = (await h.api.updateComponents({ ids: ['bot-env'], packages: ['nope'] }, CLI)).results;
    expect(unknown?.status).toBe('failed');
    expect(unknown?.error?.code).toBe('INVALID_REQUEST');
    expect(unknown?.error?.message).toContain('not among the outdated packages');
    const [held] = (await h.api.updateComponents({ ids: ['bot-env'], packages: ['gamma'] }, CLI)).results;
    expect(held?.status).toBe('failed');
    expect(held?.error?.message).toContain('pins or ranges hold');
    await expect(h.api.updateComponents({ ids: ['bot-env', 'other'], packages: ['alpha'] }, CLI)).rejects.toMatchObject(
      { code: 'INVALID_REQUEST' },
    );
    expect(freezeOf(python)).toBe(freeze);
  });
  it('updates a chosen subset only, then rolls back to exactly the previous versions without the index', async () => {
    // A wheel no backup needs is removed when a backup is taken.
    const wheelDir = path.join(h.services.layout.cache, 'wheels', 'bot-env');
    mkdirSync(wheelDir, { recursive: true });
    writeFileSync(path.join(wheelDir, 'stale-0.1-py3-none-any.whl'), 'not needed');
    const [result] = (await h.api.updateComponents({ ids: ['bot-env'], packages: ['alpha'] }, CLI)).results;
    expect(readdirSync(wheelDir)).toEqual(['alpha-1.0.0-py3-none-any.whl']);
    expect(result?.error).toBeNull();
    expect(result?.status).toBe('succeeded');
    expect(result?.to).toBe('alpha 1.1.0');
    const afterUpdate = freezeOf(python);
    expect(afterUpdate).toContain('alpha==1.1.0');
    expect(afterUpdate).toContain('beta==1.0.0');
    expect(afterUpdate).toContain('gamma==0.1.0');

    // The index goes away: the rollback must come from the wheels Upkeep kept.
    await pypi.close();
    const rolled = await h.api.rollbackUpdate({ component: 'bot-env' }, CLI);
    expect(rolled.result.error).toBeNull();
    expect(rolled.result.status).toBe('succeeded');
    expect(freezeOf(python)).toBe(before);
    const { lines } = await h.api.getRunLog({ run_id: rolled.result.run_id as string }, CLI);
    expect(lines.some((l) => l.line.includes('--no-index'))).toBe(true);
    expect(lines.some((l) => l.line.includes('asking the index'))).toBe(false);
  }, 180_000);
});
