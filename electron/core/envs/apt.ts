import type { ComponentConfig } from '../../../shared/schemas/component';
import type { Advisory, PackageUpdate } from '../../../shared/types';
import { buildRisk } from '../risk/flags';
import { runOk, type EnvRun } from './run';

/** apt in the C locale, never asking questions. */
export const APT_ENV: Record<string, string> = {
  LC_ALL: 'C',
  LANG: 'C',
  DEBIAN_FRONTEND: 'noninteractive',
  NEEDRESTART_MODE: 'l',
};

export interface AptUpgradable {
  name: string;
  /** Suites the new version comes from (`bookworm-updates`, `bookworm-security` …). */
  suites: string[];
  version: string;
  arch: string;
  installed: string;
}

/** Parse `apt list --upgradable`: `name/suite1,suite2 version arch [upgradable from: old]`. */
export function parseAptUpgradable(text: string): AptUpgradable[] {
  const out: AptUpgradable[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^([a-z0-9][a-z0-9+.-]*)\/(\S+)\s+(\S+)\s+(\S+)\s+\[upgradable from:\s*([^\]\s]+)\]/.exec(line.trim());
    if (!m) continue;
    const [, name = '', suites = '', version = '', arch = '', installed = ''] = m;
    out.push({ name, suites: suites.split(','), version, arch, installed });
  }
  return out;
}

/** A new version from a `-security` suite fixes a Debian/Ubuntu security advisory. */
export function aptAdvisories(u: AptUpgradable): Advisory[] {
  return u.suites
    .filter((s) => s.endsWith('-security'))
    .map((suite) => ({
      id: `${suite}:${u.name}=${u.version}`,
      source: 'apt' as const,
      title: `${u.name} ${u.version} from ${suite}`,
      fixed_in: [u.version],
    }));
}

/**
 * Packages upgradable on this machine (`apt list --upgradable`), from the package lists apt has.
 * Refreshing the lists (`apt-get update`) needs root and is left to the system's own timer.
 */
export async function findAptUpgradable(
  run: EnvRun,
  config: ComponentConfig,
): Promise<{ installed_count: number; packages: PackageUpdate[] }> {
  const out = await runOk(
    run,
    ['apt', 'list', '--upgradable'],
    { env: APT_ENV },
    'This check needs apt (Debian or Ubuntu).',
  );
  const only = config.only;
  const ignore = new Set(config.ignore ?? []);
  const rows = parseAptUpgradable(out).filter((u) => !ignore.has(u.name) && (!only || only.includes(u.name)));
  const listed = await run(['dpkg-query', '-W', '-f=${Package}\n'], { env: APT_ENV });
  const installedCount = new Set(listed.stdout.split('\n').filter(Boolean)).size;
  const packages: PackageUpdate[] = rows.map((u) => ({
    name: u.name,
    installed: u.installed,
    wanted: u.version,
    latest: u.version,
    target: u.version,
    location: u.suites.join(','),
    risk: buildRisk({ installed: u.installed, target: u.version, advisories: aptAdvisories(u) }),
  }));
  return { installed_count: Math.max(installedCount, packages.length), packages };
}

/** Installed versions of the given packages (`dpkg-query -W`); absent ones are missing from the map. */
export async function dpkgVersions(run: EnvRun, names: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (names.length === 0) return out;
  const r = await run(['dpkg-query', '-W', '-f=${Package}\t${Version}\t${db:Status-Abbrev}\n', ...names], {
    env: APT_ENV,
  });
  for (const line of r.stdout.split('\n')) {
    const [name, version, status] = line.split('\t');
    if (name && version && status?.startsWith('ii')) out.set(name, version);
  }
  return out;
}
