import { ALL_PRERELEASES, unlistedPrereleaseChannel } from '../../../../shared/descriptors/channels';
import type { ComponentConfig } from '../../../../shared/schemas/component';

export { ALL_PRERELEASES };

export interface ReleaseFlags {
  draft?: boolean;
  prerelease?: boolean;
  target_commitish?: string;
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
  if (channel === ALL_PRERELEASES || (unlistedPrereleaseChannel(config, channel) && branches.length === 0))
    return (r) => !r.draft;
  if (unlistedPrereleaseChannel(config, channel))
    return (r) => !r.draft && (!r.prerelease || r.target_commitish === channel);
  return (r) => !r.draft && !r.prerelease;
}

/** Whether the channel filters prereleases by `target_commitish` (a listed branch, or the unlisted prerelease_channel). */
export function filtersByCommitish(config: ComponentConfig, channel: string): boolean {
  const branches = config.prerelease_branches ?? [];
  return (
    branches.some((b) => b.branch === channel) || (unlistedPrereleaseChannel(config, channel) && branches.length > 0)
  );
}
