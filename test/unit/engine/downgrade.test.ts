import { afterEach, describe, expect, it } from 'vitest';
import { createApi } from '../../../electron/core/api';
import { sourceTarball } from '../../fixtures/releases/tree';
import { OWNER, REPO, releaseFiles, releaseScenario, type Scenario } from './scenario';

/**
 * "Ask for a downgrade" has a way to ask: a release refused only for being lower than a version
 * seen before is flagged on the check, and an update asked with `downgrade` installs it.
 */
describe('installing a release the check refuses as lower', () => {
  let s: Scenario;
  afterEach(async () => {
    await s?.cleanup();
  });

  it('is flagged, refused by a plain update, and installed by an update with downgrade', async () => {
    s = await releaseScenario();
    s.gh.addRelease(OWNER, REPO, {
      tag_name: 'v1.2.0',
      tarball: sourceTarball(`${OWNER}-${REPO}-ccc333`, releaseFiles('1.2.0')),
    });
    const api = createApi(s.services);
    const ctx = { initiatedBy: 'cli' as const, readOnly: false };
    expect((await api.checkComponents({ ids: ['webapp'], force: true }, ctx)).components[0]).toMatchObject({
      latest: '1.2.0',
      update_available: true,
    });
    // 1.2.0 is pulled: 1.1.0 is newer than what is installed but lower than a version seen before.
    s.gh.removeRelease(OWNER, REPO, 'v1.2.0');
    const [check] = (await api.checkComponents({ ids: ['webapp'], force: true }, ctx)).components;
    expect(check).toMatchObject({ latest: '1.1.0', update_available: false, downgrade_refused: true });
    expect(check?.explanation).toContain('ask for a downgrade');

    const plain = (await api.updateComponents({ ids: ['webapp'] }, ctx)).results[0];
    expect(plain?.status).not.toBe('succeeded');
    expect(plain?.error?.code).toBe('NO_UPDATE');

    const asked = (await api.updateComponents({ ids: ['webapp'], downgrade: true }, ctx)).results[0];
    expect(asked).toMatchObject({ status: 'succeeded', from: '1.0.0', to: '1.1.0' });
    expect((await api.getCheckResults({ ids: ['webapp'] }, ctx)).components[0]?.installed).toBe('1.1.0');
  });
});
