import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApi } from '../../electron/core/api';
import { validateComponent } from '../../electron/core/config/validate';
import { HttpClient } from '../../electron/core/net/http-client';
import { fixedAdvisories, npmBulkAdvisories } from '../../electron/core/risk/npm-advisories';
import { createServices } from '../../electron/core/services';
import { tempDir } from '../helpers/temp';

// Online: the real npm registry's bulk advisory endpoint (what `npm audit` asks) about lodash
// 4.17.15, which has published advisories (prototype pollution fixed in 4.17.19, command
// injection in template fixed in 4.17.21).
const http = new HttpClient({});
afterAll(() => http.close());

// Some networks reach the registry only through a read-only mirror that refuses POST (405, `allow:
// GET,HEAD`); there the endpoint cannot be asked at all, and the first test says so by skipping.
const BULK = 'https://registry.npmjs.org/-/npm/v1/security/advisories/bulk';
const probe = await fetch(BULK, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(
  (r) => r.status,
  () => 0,
);
const endpointAnswers = probe === 200;

describe("the real npm registry's advisories", () => {
  it.skipIf(!endpointAnswers)(
    'reports lodash 4.17.15 as vulnerable, with GitHub advisory ids and ranges that 4.17.21 is outside of',
    async () => {
      const answer = await npmBulkAdvisories(http, undefined, { lodash: ['4.17.15'] });
      const advisories = answer.lodash ?? [];
      expect(advisories.length).toBeGreaterThan(0);
      for (const a of advisories) {
        expect(a.url).toMatch(/^https:\/\/github\.com\/advisories\/GHSA-/);
        expect(a.vulnerable_versions).toBeTruthy();
      }
      const fixed = fixedAdvisories(advisories, '4.17.15', '4.17.21');
      expect(fixed.length).toBe(advisories.length);
      expect(fixed.every((a) => /^GHSA(-[a-z0-9]{4}){3}$/.test(a.id) && a.source === 'npm')).toBe(true);
      expect(fixed.map((a) => a.severity)).toContain('high');
    },
  );

  it('flags an npm_release component installed at lodash 4.17.15 as a security update (or says why it cannot)', async () => {
    const root = tempDir('upkeep-online-advisories-');
    const services = createServices({ home: path.join(root, 'home'), host: 'cli' });
    services.components.add({
      lodash: validateComponent('lodash', { type: 'npm_release', package: 'lodash', current: '4.17.15' }),
    });
    const api = createApi(services);
    const { components } = await api.checkComponents(
      { ids: ['lodash'], force: true },
      { initiatedBy: 'cli', readOnly: false },
    );
    const [r] = components;
    expect(r?.error).toBeNull();
    expect(r?.update_available).toBe(true);
    if (endpointAnswers) {
      expect(r?.security).toBe(true);
      expect(r?.risk?.advisories.length).toBeGreaterThan(0);
    } else {
      // The endpoint refused (HTTP ${probe}): no flag is invented, and the result says why it is missing.
      expect(r?.security).toBe(false);
      expect(r?.risk?.reasons.some((x) => x.startsWith('security advisories could not be read'))).toBe(true);
    }
    await services.checks.close();
  });
});
