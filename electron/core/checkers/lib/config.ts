import type { ComponentConfig } from '../../../../shared/schemas/component';
import { tokenEnvCredential } from '../../net/credentials';
import type { HttpAuth } from '../../net/http-client';

/** An optional extra key (OctoPrint configs carry keys the schema passes through). */
export function extraString(config: ComponentConfig, key: string): string | undefined {
  const value = config[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A secret read from the environment variable the config names (never stored in config). */
export function secretFromEnv(
  config: ComponentConfig,
  env: NodeJS.ProcessEnv,
  key: 'api_key_env',
  fallbackVar?: string,
): string | undefined {
  const name = config[key];
  const variable = typeof name === 'string' ? name : fallbackVar;
  if (!variable) return undefined;
  const value = env[variable];
  return value && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The component's own API credential (`token_env`) as request auth, for its API root only; the
 * HTTP client drops it on any redirect off that origin. Undefined without `token_env` (the GitHub
 * token, if any, then goes by the client's own rule: only to `github_api_base`).
 */
export function tokenEnvAuth(ctx: {
  config: ComponentConfig;
  env: NodeJS.ProcessEnv;
  githubApiBase: string;
}): HttpAuth | undefined {
  const credential = tokenEnvCredential(ctx.config, ctx.env, ctx.githubApiBase);
  return credential ? { header: credential.header, value: credential.value } : undefined;
}

export function apiBaseOf(config: ComponentConfig, fallback: string): string {
  return (config.api_base ?? fallback).replace(/\/+$/, '');
}

/** Commit ids match when one is a prefix of the other (configs often hold short shas). */
export function sameCommit(a: string, b: string): boolean {
  const x = a.trim().toLowerCase();
  const y = b.trim().toLowerCase();
  if (x === '' || y === '') return false;
  const n = Math.min(x.length, y.length);
  return n >= 7 ? x.slice(0, n) === y.slice(0, n) : x === y;
}

export function shortSha(sha: string): string {
  return /^[0-9a-f]{40,64}$/i.test(sha) ? sha.slice(0, 7) : sha;
}

/** The decision for commit-tracking checks: any different head is an update. */
export function commitDecision(
  installed: string | null,
  latest: string,
  what: string,
): { update: boolean; explanation: string } {
  if (!installed)
    return { update: true, explanation: `${shortSha(latest)} is the head of ${what}; installed commit unknown` };
  if (sameCommit(installed, latest))
    return { update: false, explanation: `${shortSha(latest)} = ${shortSha(installed)}: up to date with ${what}` };
  return { update: true, explanation: `${shortSha(latest)} != ${shortSha(installed)}: new commits on ${what}` };
}
