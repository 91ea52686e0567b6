import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApi } from '../../electron/core/api';
import { createServices } from '../../electron/core/services';
import { invokeMethod, type MethodName, type RequestOf, type ResponseOf } from '../../shared/contract';
import { tempDir } from '../helpers/temp';

// Online: installs a real package from the real npm registry into a temp global prefix, discovers
// it, adds the proposal, and checks it against the registry with the npm_release checker
// (electron/core/checkers/npm-release.ts) through the checkComponents contract method.
const PACKAGE = 'semver';
const OLD_VERSION = '7.5.0';

const savedPrefix = process.env.NPM_CONFIG_PREFIX;
afterEach(() => {
  if (savedPrefix === undefined) delete process.env.NPM_CONFIG_PREFIX;
  else process.env.NPM_CONFIG_PREFIX = savedPrefix;
});

describe('a discovered npm package checked against the real npm registry', () => {
  it(`finds ${PACKAGE}@${OLD_VERSION} installed globally and reports the registry's latest as an update`, async () => {
    const root = tempDir('upkeep-online-');
    const prefix = path.join(root, 'prefix');
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', `${PACKAGE}@${OLD_VERSION}`], {
      stdio: 'pipe',
    });
    process.env.NPM_CONFIG_PREFIX = prefix; // npm's own setting: discovery and the version reader both run real npm

    const api = createApi(createServices({ home: path.join(root, 'home'), host: 'cli' }));
    const call = <M extends MethodName>(method: M, request: RequestOf<M>) =>
      invokeMethod(api, method, request, { initiatedBy: 'cli', readOnly: false }) as Promise<ResponseOf<M>>;

    const { proposals, errors } = await call('discover', { npm_global: true });
    expect(errors).toEqual([]);
    const proposal = proposals.find((p) => p.config.package === PACKAGE);
    expect(proposal).toMatchObject({
      id: PACKAGE,
      source: 'npm_global',
      installed: OLD_VERSION,
      already_tracked: false,
    });
    await call('addComponents', { components: { [proposal!.id]: proposal!.config } });

    const registry = (await (
      await fetch(`https://registry.npmjs.org/${PACKAGE}`, {
        headers: { accept: 'application/vnd.npm.install-v1+json' },
      })
    ).json()) as {
      'dist-tags': { latest: string };
    };
    const { components } = await call('checkComponents', { ids: [PACKAGE], force: true });
    expect(components).toHaveLength(1);
    const [result] = components;
    expect(result?.error).toBeNull();
    expect(result?.installed).toBe(OLD_VERSION);
    expect(result?.latest).toBe(registry['dist-tags'].latest);
    expect(result?.update_available).toBe(true);
    expect(result?.channel).toBe('latest');
  });
});
