import { offeredChannels } from '../../../../shared/descriptors/channels';
import { checkTypeFacts } from '../../../../shared/descriptors/registry';
import type { ChannelOption, Component } from '../../../../shared/types';

/**
 * The channels a component's type offers, read from its config by its descriptor's channel rule —
 * the rule the engine validates a channel with, so the panel never offers one the engine refuses.
 * A dist-tags type (npm) offers `latest` until the engine has asked the registry. The channel the
 * component follows is always listed.
 */
export function channelsFromConfig(component: Component): ChannelOption[] {
  const options = offeredChannels(checkTypeFacts(component.type).channels, component.config, component.channel);
  if (!options.some((o) => o.id === component.channel))
    options.push({ id: component.channel, label: component.channel });
  return options;
}

/** A channel as a select shows it: its label, with its id when the label does not start with it ("latest (15.0.0)", "Devel RCs (rc/devel)"). */
export function channelLabel(option: ChannelOption): string {
  return option.label.toLowerCase().startsWith(option.id.toLowerCase())
    ? option.label
    : `${option.label} (${option.id})`;
}
