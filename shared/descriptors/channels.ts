import type { ChannelChoice, ChannelRule } from './types';

/** The channel that admits every prerelease (OctoPrint's `prerelease: true` without a channel). */
export const ALL_PRERELEASES = 'prerelease';

/** The keys of a config that channels depend on (OctoPrint's release channels). */
export interface ChannelConfig {
  prerelease?: boolean | undefined;
  prerelease_channel?: string | undefined;
  prerelease_branches?: readonly { name: string; branch: string }[] | undefined;
  stable_branch?: { name: string; branch: string } | undefined;
}

/** The config's own `prerelease_channel` when it is not one of `prerelease_branches` (OctoPrint's fallback). */
export function unlistedPrereleaseChannel(config: ChannelConfig, channel: string): boolean {
  return (
    config.prerelease === true &&
    config.prerelease_channel === channel &&
    !(config.prerelease_branches ?? []).some((b) => b.branch === channel)
  );
}

/** Whether a release-branches channel is one the config knows (unknown channels would act as stable). */
export function isKnownReleaseChannel(config: ChannelConfig, channel: string): boolean {
  return (
    channel === 'stable' ||
    channel === ALL_PRERELEASES ||
    config.stable_branch?.branch === channel ||
    (config.prerelease_branches ?? []).some((b) => b.branch === channel) ||
    unlistedPrereleaseChannel(config, channel)
  );
}

/** OctoPrint's channels as a select lists them: stable, each prerelease branch, the unlisted prerelease_channel, all prereleases. */
function releaseBranchChoices(config: ChannelConfig, current: string): ChannelChoice[] {
  const branches = config.prerelease_branches ?? [];
  const options: ChannelChoice[] = [{ id: 'stable', label: config.stable_branch?.name ?? 'Stable' }];
  for (const b of branches) options.push({ id: b.branch, label: b.name });
  if (
    config.prerelease_channel &&
    branches.length > 0 &&
    unlistedPrereleaseChannel(config, config.prerelease_channel)
  ) {
    options.push({ id: config.prerelease_channel, label: `${config.prerelease_channel} (its own branch only)` });
  }
  if (branches.length === 0 || current === ALL_PRERELEASES)
    options.push({ id: ALL_PRERELEASES, label: 'All prereleases' });
  // A channel the config knows by another name (stable_branch's branch, a prerelease_channel without branches).
  if (!options.some((o) => o.id === current) && isKnownReleaseChannel(config, current))
    options.push({ id: current, label: current });
  return options;
}

/**
 * The channels a component of this rule offers while it follows `current`. `remote` is what the
 * source listed (the registry's dist-tags); without it a dist-tags type offers `latest`, which
 * every package has.
 */
export function offeredChannels(
  rule: ChannelRule,
  config: ChannelConfig,
  current: string,
  remote?: readonly ChannelChoice[],
): ChannelChoice[] {
  switch (rule.kind) {
    case 'fixed':
      return [...rule.options];
    case 'release_branches':
      return releaseBranchChoices(config, current);
    case 'dist_tags':
      return remote ? [...remote] : [{ id: 'latest', label: 'latest' }];
  }
}

/**
 * Whether a component may follow `channel`: it is among the channels offered while following it
 * (the same list the panel shows). A dist-tags type also takes `stable` for `latest`.
 */
export function acceptsChannel(
  rule: ChannelRule,
  config: ChannelConfig,
  channel: string,
  remote?: readonly ChannelChoice[],
): boolean {
  const ids = offeredChannels(rule, config, channel, remote).map((o) => o.id);
  return ids.includes(channel) || (rule.kind === 'dist_tags' && channel === 'stable' && ids.includes('latest'));
}
