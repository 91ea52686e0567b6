import type { BranchSpec, ComponentConfig } from '../../../../shared/schemas/component';
import type { ChannelOption } from '../../../../shared/types';

/** The channel that admits every prerelease (OctoPrint's `prerelease: true` without a channel). */
export const ALL_PRERELEASES = 'prerelease';

export interface ReleaseFlags {
  draft?: boolean;
  prerelease?: boolean;
  target_commitish?: string;
}

/** The config's own `prerelease_channel` when it is not one of `prerelease_branches` (OctoPrint's fallback). */
function unlistedPrereleaseChannel(config: ComponentConfig, channel: string): boolean {
  return config.prerelease === true && config.prerelease_channel === channel && !(config.prerelease_branches ?? []).some((b) => b.branch === channel);
}

/**
 * OctoPrint's release channels: `stable` admits non-draft, non-prerelease releases; a prerelease
 * channel (one of `prerelease_branches`, chosen by its `branch`) admits those plus prereleases whose
 * `target_commitish` is in its `commitish` list (default: the branch itself); `prerelease` admits
 * every non-draft release. The config's `prerelease_channel` (with `prerelease: true`) that is not
 * among `prerelease_branches` matches its own name only — or, with no `prerelease_branches` at
 * all, every prerelease, as OctoPrint's get_latest does. Any other channel is treated as stable.
 */
export function releaseFilterFor(config: ComponentConfig, channel: string): (release: ReleaseFlags) => boolean {
  const branches = config.prerelease_branches ?? [];
  const branch = branches.find((b) => b.branch === channel);
  if (branch) {
    const commitish = new Set(branch.commitish && branch.commitish.length > 0 ? branch.commitish : [branch.branch]);
    return (r) => !r.draft && (!r.prerelease || commitish.has(r.target_commitish ?? ''));
  }
  if (channel === ALL_PRERELEASES || (unlistedPrereleaseChannel(config, channel) && branches.length === 0)) return (r) => !r.draft;
  if (unlistedPrereleaseChannel(config, channel)) return (r) => !r.draft && (!r.prerelease || r.target_commitish === channel);
  return (r) => !r.draft && !r.prerelease;
}

/** Whether the channel filters prereleases by `target_commitish` (a listed branch, or the unlisted prerelease_channel). */
export function filtersByCommitish(config: ComponentConfig, channel: string): boolean {
  const branches = config.prerelease_branches ?? [];
  return branches.some((b) => b.branch === channel) || (unlistedPrereleaseChannel(config, channel) && branches.length > 0);
}

/** Whether the channel is one the config knows (for messages; unknown channels act as stable). */
export function isKnownChannel(config: ComponentConfig, channel: string): boolean {
  return channel === 'stable' || channel === ALL_PRERELEASES || (config.stable_branch?.branch === channel) || (config.prerelease_branches ?? []).some((b: BranchSpec) => b.branch === channel) || unlistedPrereleaseChannel(config, channel);
}

export function githubChannelOptions(config: ComponentConfig, current: string): ChannelOption[] {
  const options: ChannelOption[] = [{ id: 'stable', label: config.stable_branch?.name ?? 'Stable' }];
  for (const b of config.prerelease_branches ?? []) options.push({ id: b.branch, label: b.name });
  if (config.prerelease_channel && (config.prerelease_branches ?? []).length > 0 && unlistedPrereleaseChannel(config, config.prerelease_channel)) {
    options.push({ id: config.prerelease_channel, label: `${config.prerelease_channel} (its own branch only)` });
  }
  if ((config.prerelease_branches ?? []).length === 0 || current === ALL_PRERELEASES) {
    options.push({ id: ALL_PRERELEASES, label: 'All prereleases' });
  }
  return options;
}
