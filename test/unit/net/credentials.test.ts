import { describe, expect, it } from 'vitest';
import { UpkeepError } from '../../../shared/errors';
import { validateComponent } from '../../../electron/core/config/validate';
import { componentCredential, credentialHops, originOf } from '../../../electron/core/net/credentials';

const GH = 'https://api.github.com';
const config = (extra: Record<string, unknown>) =>
  validateComponent('c', { type: 'github_release', user: 'o', repo: 'r', ...extra });

describe('componentCredential', () => {
  it('the GitHub token is scoped to github_api_base, whatever the component api_base says', () => {
    const cred = componentCredential(config({ api_base: 'http://mirror.example:8080/api' }), {
      githubApiBase: GH,
      githubToken: 't0k',
      env: {},
    });
    expect(cred).toEqual({
      origin: 'https://api.github.com',
      header: 'authorization',
      value: 'Bearer t0k',
      source: 'github_token',
    });
    expect(componentCredential(config({}), { githubApiBase: GH, githubToken: undefined, env: {} })).toBeUndefined();
    // An api base that is not an http(s) URL scopes the token nowhere.
    expect(componentCredential(config({}), { githubApiBase: 'ftp://x', githubToken: 't0k', env: {} })).toBeUndefined();
  });

  it("token_env: its own origin (api_base, else the type's default API), never the GitHub token", () => {
    const env = { OWN: ' own-secret ' };
    expect(
      componentCredential(config({ api_base: 'https://ghe.example/api/v3', token_env: 'OWN' }), {
        githubApiBase: GH,
        githubToken: 't0k',
        env,
      }),
    ).toMatchObject({ origin: 'https://ghe.example', value: 'Bearer own-secret', source: '$OWN' });
    expect(
      componentCredential(config({ token_env: 'OWN' }), { githubApiBase: GH, githubToken: 't0k', env }),
    ).toMatchObject({ origin: GH, value: 'Bearer own-secret' });
    const gitlab = validateComponent('g', { type: 'gitlab_release', user: 'o', repo: 'r', token_env: 'OWN' });
    expect(componentCredential(gitlab, { githubApiBase: GH, githubToken: 't0k', env })).toMatchObject({
      origin: 'https://gitlab.com',
      header: 'private-token',
      value: 'own-secret',
    });
  });

  it('token_env naming an unset or empty variable is CREDENTIAL_MISSING, with the name and never a value', () => {
    for (const env of [{}, { OWN: '' }, { OWN: '   ' }]) {
      const error = (() => {
        try {
          componentCredential(config({ token_env: 'OWN' }), { githubApiBase: GH, githubToken: 't0k', env });
          return null;
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(UpkeepError);
      expect((error as UpkeepError).code).toBe('CREDENTIAL_MISSING');
      expect((error as UpkeepError).message).toContain('OWN');
    }
  });
});

describe('credentialHops', () => {
  it('carries on its origin only, and never again once a hop left it', () => {
    const hops = credentialHops({
      origin: 'https://api.github.com',
      header: 'authorization',
      value: 'x',
      source: 'github_token',
    });
    expect(hops.carries('https://api.github.com/repos/o/r/releases/assets/1')).toBe(true);
    expect(hops.carries('https://api.github.com/moved')).toBe(true);
    expect(hops.carries('https://objects.githubusercontent.com/blob')).toBe(false);
    expect(hops.carries('https://api.github.com/back')).toBe(false);
    expect(
      credentialHops({
        origin: 'https://a.example',
        header: 'authorization',
        value: 'x',
        source: 'github_token',
      }).carries('http://a.example/plain'),
    ).toBe(false);
    expect(credentialHops(undefined).carries('https://a.example/')).toBe(false);
  });

  it('origins: scheme, host and port', () => {
    expect(originOf('https://api.github.com/x')).toBe('https://api.github.com');
    expect(originOf('https://api.github.com:443/x')).toBe('https://api.github.com');
    expect(originOf('http://127.0.0.1:8080/x')).toBe('http://127.0.0.1:8080');
    expect(originOf('file:///etc/passwd')).toBeNull();
    expect(originOf('not a url')).toBeNull();
  });
});
