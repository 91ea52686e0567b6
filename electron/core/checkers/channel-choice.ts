import { acceptsChannel, offeredChannels } from '../../../shared/descriptors/channels';
import { checkTypeFacts } from '../../../shared/descriptors/registry';
import { UpkeepError } from '../../../shared/errors';
import type { ChannelOption, Component } from '../../../shared/types';

/**
 * The channels a component can follow: its descriptor's, with `remote` (what the source offers, for
 * a dist-tags type), and the one it follows even when the source no longer offers it.
 */
export function channelsOffered(component: Component, remote: ChannelOption[] | undefined): ChannelOption[] {
  const channels = offeredChannels(
    checkTypeFacts(component.type).channels,
    component.config,
    component.channel,
    remote,
  );
  if (!channels.some((c) => c.id === component.channel))
    channels.push({ id: component.channel, label: `${component.channel} (not offered by the source)` });
  return channels;
}

/** Refuses a channel the component's descriptor does not offer (the one rule the panel shows too). */
export function requireOfferedChannel(
  component: Component,
  channel: string,
  remote: ChannelOption[] | undefined,
): void {
  const rule = checkTypeFacts(component.type).channels;
  if (!acceptsChannel(rule, component.config, channel, remote)) {
    const options = offeredChannels(rule, component.config, component.channel, remote).map((o) => o.id);
    throw new UpkeepError(
      'INVALID_REQUEST',
      `"${channel}" is not a channel of ${component.name}. Choose one of: ${options.join(', ')}.`,
      { channels: options },
    );
  }
}
