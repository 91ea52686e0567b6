import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostConfig } from '../../shared/schemas/host';
import { StdioConnection } from '../../electron/core/remote/stdio-connection';
import type { FakeGitHub } from '../fixtures/servers';
import { sourceTarball } from '../fixtures/releases/tree';
import type { Sshd } from '../fixtures/servers/sshd';
import { repoRoot } from './cli';

export const UPKEEP_BIN = path.join(repoRoot, 'bin', 'upkeep.mjs');

/** The "remote" Upkeep: this same checkout with its own data directory, started by the host's shell over ssh. */
export function remoteUpkeep(home: string): string {
  return `${process.execPath} ${UPKEEP_BIN} --data-dir ${home}`;
}

/** A host entry for the fixture's sshd, trusting its host key and using its client key. */
export function sshHost(sshd: Sshd, name: string, remoteHome: string, overrides: Partial<HostConfig> = {}): HostConfig {
  return {
    name,
    ssh: sshd.target,
    port: sshd.port,
    identity: sshd.identity,
    known_hosts: sshd.knownHosts,
    remote_upkeep: remoteUpkeep(remoteHome),
    ...overrides,
  };
}

/** Set up a data directory the way a person on that machine would: through its own `serve --stdio`. */
export async function withLocalUpkeep<T>(home: string, run: (c: StdioConnection) => Promise<T>): Promise<T> {
  const c = new StdioConnection({
    argv: [process.execPath, UPKEEP_BIN, 'serve', '--stdio', '--data-dir', home],
    name: 'local',
  });
  try {
    return await run(c);
  } finally {
    await c.close();
  }
}

/** A GitHub release component of the sample app, its check and health check as given. */
export function sampleAppComponent(
  gh: FakeGitHub,
  repo: string,
  folder: string,
  health?: string[],
): Record<string, unknown> {
  return {
    name: repo,
    type: 'github_release',
    user: 'acme',
    repo,
    api_base: gh.apiBase,
    release_compare: 'semantic',
    version_from: { file: 'VERSION', regex: '(\\S+)' },
    method: 'release_archive',
    folder,
    ...(health ? { health: { command: health, timeout: 60 } } : {}),
  };
}

export function addSampleReleases(
  gh: FakeGitHub,
  repo: string,
  files: (version: string) => Record<string, string>,
): void {
  gh.addRelease('acme', repo, { tag_name: 'v1.0.0', tarball: sourceTarball(`acme-${repo}-aaa`, files('1.0.0')) });
  gh.addRelease('acme', repo, { tag_name: 'v1.1.0', tarball: sourceTarball(`acme-${repo}-bbb`, files('1.1.0')) });
}

export function installedVersion(folder: string): string {
  return readFileSync(path.join(folder, 'VERSION'), 'utf8').trim();
}

/** The user's own known_hosts, to prove Upkeep never writes one. */
export function userKnownHosts(): string | undefined {
  try {
    return readFileSync(path.join(os.homedir(), '.ssh', 'known_hosts'), 'utf8');
  } catch {
    return undefined;
  }
}
