import { UpkeepError } from '../../../shared/errors';
import type { ComponentConfig } from '../../../shared/schemas/component';

/**
 * A credential and the one origin (scheme, host and port) it may be sent to. It rides only on
 * requests to that origin, and only while a request has not left it: a redirect to another origin
 * (GitHub's asset storage, a mirror, plain http) goes without it, and so does every hop after.
 */
export interface ScopedCredential {
  origin: string;
  /** Lower-case header name: `authorization`, or `private-token` for GitLab. */
  header: string;
  value: string;
  /** Where it comes from, for messages (never the value): `github_token` or `$NAME`. */
  source: string;
}

const DEFAULT_API_BASES: Partial<Record<ComponentConfig['type'], string>> = {
  gitlab_release: 'https://gitlab.com/api/v4',
  bitbucket_commit: 'https://api.bitbucket.org/2.0',
};

/** `scheme://host[:port]` of an http(s) URL; null for anything else. */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    // Not a URL: it has no origin a credential could be sent to.
    return null;
  }
}

/** The API root a component talks to: its own `api_base`, else its type's default (GitHub types: `github_api_base`). */
export function componentApiBase(config: ComponentConfig, githubApiBase: string): string {
  return (config.api_base ?? DEFAULT_API_BASES[config.type] ?? githubApiBase).replace(/\/+$/, '');
}

/**
 * The component's own credential, from the environment variable its `token_env` names, scoped to
 * the origin of its API root. Undefined without `token_env`; CREDENTIAL_MISSING when the variable
 * is unset or empty (a named credential is never silently dropped, nor replaced by another).
 */
export function tokenEnvCredential(
  config: ComponentConfig,
  env: NodeJS.ProcessEnv,
  githubApiBase: string,
): ScopedCredential | undefined {
  const name = config.token_env;
  if (!name) return undefined;
  const value = env[name]?.trim();
  if (!value) {
    throw new UpkeepError(
      'CREDENTIAL_MISSING',
      `token_env names the environment variable ${name}, but it is not set (or empty) for Upkeep. Set ${name} in the environment Upkeep runs in (the service unit, or the shell before \`upkeep\`), or remove token_env from the component config.`,
      { variable: name },
    );
  }
  const apiBase = componentApiBase(config, githubApiBase);
  const origin = originOf(apiBase);
  if (!origin) {
    throw new UpkeepError(
      'INVALID_CONFIG',
      `api_base "${apiBase.slice(0, 200)}" is not an http(s) URL, so the token in ${name} has no origin to go to. Fix api_base.`,
      { field: 'api_base' },
    );
  }
  if (config.type === 'gitlab_release') return { origin, header: 'private-token', value, source: `$${name}` };
  return { origin, header: 'authorization', value: `Bearer ${value}`, source: `$${name}` };
}

/**
 * What a component's downloads carry: its own `token_env` credential when it names one, else the
 * GitHub token scoped to the origin of `github_api_base` (whatever the component's `api_base` says:
 * nothing inherits the token by pointing somewhere else), else nothing.
 */
export function componentCredential(
  config: ComponentConfig,
  sources: { githubApiBase: string; githubToken: string | undefined; env: NodeJS.ProcessEnv },
): ScopedCredential | undefined {
  const own = tokenEnvCredential(config, sources.env, sources.githubApiBase);
  if (own) return own;
  if (!sources.githubToken) return undefined;
  const origin = originOf(sources.githubApiBase);
  return origin
    ? { origin, header: 'authorization', value: `Bearer ${sources.githubToken}`, source: 'github_token' }
    : undefined;
}

/**
 * Follows one request's hops: `carries(url)` says whether this hop may carry the credential — its
 * origin is the credential's and no earlier hop left that origin.
 */
export function credentialHops(credential: ScopedCredential | undefined): { carries(url: string): boolean } {
  let stayed = true;
  return {
    carries(url: string): boolean {
      if (!credential) return false;
      stayed = stayed && originOf(url) === credential.origin;
      return stayed;
    },
  };
}
