import type { ChannelOption } from '../../../../shared/types';
import { channelsFromConfig } from './channel-options';
import type { AppState } from '../types';
import { memoSelector } from './memo';

/** Channels per component: what the engine listed, else what the config offers. */
export const selectChannelOptions = memoSelector(
  (s: AppState) => [s.components, s.channels] as const,
  ([components, listed]): Record<string, ChannelOption[]> => {
    const out: Record<string, ChannelOption[]> = {};
    for (const c of components) {
      const options = listed[c.id]?.length ? [...listed[c.id]!] : channelsFromConfig(c);
      if (!options.some((o) => o.id === c.channel)) options.push({ id: c.channel, label: c.channel });
      out[c.id] = options;
    }
    return out;
  },
);
