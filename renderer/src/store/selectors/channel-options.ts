import type { ChannelOption, Component } from '../../../../shared/types';

/**
 * The channels a component's type offers, read from its config (README, "Components"): GitHub releases offer
 * stable and each configured prerelease branch; PyPI stable and prerelease; npm its dist-tags (the
 * engine knows those after a check — until then the usual ones and the current one).
 */
export function channelsFromConfig(component: Component): ChannelOption[] {
  const options: ChannelOption[] = [];
  const add = (id: string, label: string) => {
    if (!options.some((o) => o.id === id)) options.push({ id, label });
  };
  const config = component.config;
  switch (component.type) {
    case 'github_release':
    case 'gitlab_release':
      add('stable', 'Stable');
      for (const b of config.prerelease_branches ?? []) add(b.branch, b.name);
      if (config.prerelease && !config.prerelease_branches?.length) add('prerelease', 'Prereleases');
      break;
    case 'pypi_release':
      add('stable', 'Stable');
      add('prerelease', 'Prereleases');
      break;
    case 'npm_release':
      add('latest', 'latest');
      add('next', 'next');
      add('beta', 'beta');
      break;
    default:
      add(component.channel || 'stable', component.channel || 'stable');
  }
  add(component.channel, component.channel);
  return options;
}

/** A channel as a select shows it: its label, with its id when the label does not start with it ("latest (15.0.0)", "Devel RCs (rc/devel)"). */
export function channelLabel(option: ChannelOption): string {
  return option.label.toLowerCase().startsWith(option.id.toLowerCase()) ? option.label : `${option.label} (${option.id})`;
}
