import { UpkeepError } from '../../../shared/errors';
import type { CheckResult, PackageUpdate, RiskInfo, UnknownRisk } from '../../../shared/types';
import { flagState } from '../../core/risk/flags';
import { table, type CommandSpec } from '../context';
import { withCliHint } from '../hints';

/** The `upkeep check --json` entry (README, "The command line"), plus the one-line explanation. */
function publicResult(r: CheckResult) {
  return {
    id: r.id,
    name: r.name,
    installed: r.installed,
    latest: r.latest,
    update_available: r.update_available,
    channel: r.channel,
    checked_at: r.checked_at,
    explanation: r.explanation,
    // The user's choices: held at its installed version, and a skipped latest version.
    held: r.held ?? false,
    skipped_version: r.skipped_version ?? null,
    error: r.error ? { code: r.error.code, message: withCliHint(r.error, r.id).message } : null,
    // Risk of the pending update: flags with the advisories behind `security`; each flag is true,
    // false, or null when unknown (its source failed: `risk_unknown` says why; or the check failed).
    risk_flags: r.risk_flags ?? [],
    security: flagOf(r, r.security),
    breaking: flagOf(r, r.breaking),
    risk_unknown: unknownOf(r.risk_unknown),
    advisories: r.risk?.advisories ?? [],
    ...(r.packages ? { packages: r.packages.map(publicPackage) } : {}),
  };
}

/** A flag as `--json` gives it: never a reassuring false for a check that failed. */
function flagOf(r: CheckResult, value: boolean | null | undefined): boolean | null {
  if (value !== undefined) return value;
  return r.error ? null : false;
}

function unknownOf(unknown: readonly UnknownRisk[] | undefined): { flag: string; code: string; message: string }[] {
  return (unknown ?? []).map((u) => ({ flag: u.flag, code: u.code, message: u.message }));
}

function publicPackage(p: PackageUpdate) {
  return {
    name: p.name,
    installed: p.installed,
    wanted: p.wanted,
    latest: p.latest,
    target: p.target,
    risk_flags: p.risk.flags,
    security: flagState(p.risk, 'security'),
    breaking: flagState(p.risk, 'breaking'),
    risk_unknown: unknownOf(p.risk.unknown),
    advisories: p.risk.advisories,
  };
}

/** `[security, breaking, security unknown]`: the set flags, then the unknown ones; empty when neither. */
function flagsText(risk: RiskInfo | null | undefined): string {
  if (!risk) return '';
  const words = [...risk.flags, ...(risk.unknown ?? []).map((u) => `${u.flag} unknown`)];
  return words.length ? ` [${words.join(', ')}]` : '';
}

function short(version: string | null): string | null {
  return version && /^[0-9a-f]{40,64}$/i.test(version) ? version.slice(0, 7) : version;
}

function status(r: CheckResult): string {
  if (r.error) return `error ${r.error.code}`;
  const flags = flagsText(r.risk);
  if (r.held) return r.update_available ? `held at ${r.held_version ?? 'installed'} (update available)` : 'held';
  if (r.skipped_version) return `up to date (${r.skipped_version} skipped)`;
  return r.update_available ? `update available${flags}` : 'up to date';
}

function age(iso: string | null): string | null {
  if (!iso) return null;
  const minutes = Math.round((Date.now() - Date.parse(iso)) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 120) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} d ago`;
}

export const checkCommands: CommandSpec[] = [
  {
    path: ['check'],
    usage: 'upkeep check [ID...] [--force] [--downgrade]',
    summary:
      'Check components for new versions on their channels (cached for cache_ttl_hours; --force asks upstream now)',
    options: { force: { type: 'boolean', short: 'f' }, downgrade: { type: 'boolean' } },
    async run(ctx, { positionals, values }) {
      const { components } = await ctx.call('checkComponents', {
        ...(positionals.length ? { ids: positionals } : {}),
        force: values.force === true,
        downgrade: values.downgrade === true,
      });
      const failed = components.some((r) => r.error !== null);
      const lines = components.length
        ? [
            table(
              ['ID', 'INSTALLED', 'LATEST', 'CHANNEL', 'STATUS', 'CHECKED'],
              components.map((r) => [
                r.id,
                short(r.installed),
                short(r.latest),
                r.channel,
                status(r),
                age(r.checked_at),
              ]),
            ),
            '',
            ...components.map(
              (r) =>
                `${r.id}: ${r.error ? withCliHint(r.error, r.id).message : (r.explanation ?? '')}${r.risk?.reasons.length ? ` — ${r.risk.reasons.join('; ')}` : ''}`,
            ),
            ...components.flatMap((r) =>
              (r.packages ?? []).map(
                (p) =>
                  `  ${r.id} ${p.name}: ${p.installed} → ${p.target}${p.latest !== p.target ? ` (latest ${p.latest})` : ''}${flagsText(p.risk)}`,
              ),
            ),
          ]
        : [
            'No components yet. Add some with `upkeep component add --file FILE` or `upkeep import octoprint CONFIG.yaml`.',
          ];
      return { json: { components: components.map(publicResult) }, text: lines.join('\n'), exitCode: failed ? 1 : 0 };
    },
  },
  {
    path: ['channel'],
    usage: 'upkeep channel ID [CHANNEL]',
    summary: "Show a component's release channels, or choose one (stable, a prerelease branch, an npm dist-tag …)",
    async run(ctx, { positionals }) {
      const [id, channel, ...rest] = positionals;
      if (!id || rest.length)
        throw new UpkeepError('INVALID_REQUEST', 'channel takes ID and optionally the CHANNEL to choose.');
      if (channel === undefined) {
        const { channels, current } = await ctx.call('listChannels', { id });
        const text = channels
          .map((c) => `${c.id === current ? '*' : ' '} ${c.id}${c.label !== c.id ? `  (${c.label})` : ''}`)
          .join('\n');
        return { json: { id, channel: current, channels }, text };
      }
      const component = await ctx.call('setChannel', { id, channel });
      return {
        json: { id, channel: component.channel },
        text: `${id} now follows ${component.channel}. Run \`upkeep check ${id}\` to see its latest version there.`,
      };
    },
  },
];
