import type {
  AppInfo,
  ChannelOption,
  ErrorShape,
  SettingsPatch,
  SettingsView,
  StatusView,
} from '../../../shared/types';
import { toErrorShape } from '../api';
import type { LoadStatus, SliceCreator } from './types';

export interface SettingsSaveRequest {
  patch: SettingsPatch;
  /** undefined: leave the stored token alone; null: remove it; a string: replace it. */
  githubToken?: string | null;
  /** Component id → new channel. */
  channels: Record<string, string>;
}

export interface SettingsSlice {
  settings: SettingsView | null;
  /** Version, host and whether this connection may change anything. */
  info: AppInfo | null;
  loadInfo(): Promise<void>;
  /** Disk, backups, GitHub rate limit and the scheduler, for the Settings dialog. */
  status: StatusView | null;
  loadStatus(): Promise<void>;
  /** Send a test notification to every webhook; the outcome is announced. */
  testWebhooks(): Promise<void>;
  settingsStatus: LoadStatus;
  /** Component id → the channels the engine lists for it. */
  channels: Record<string, ChannelOption[]>;
  loadSettings(): Promise<void>;
  /** The channels the engine lists for these components (default: the first few). */
  loadChannels(ids?: string[]): Promise<void>;
  /** Apply the Settings dialog; channel changes re-check those components. */
  saveSettings(request: SettingsSaveRequest): Promise<ErrorShape | null>;
  /** Choose one component's channel (its own dialog); it is re-checked there. An error is returned, not thrown. */
  setComponentChannel(id: string, channel: string): Promise<ErrorShape | null>;
}

export const createSettingsSlice: SliceCreator<SettingsSlice> =
  ({ api }) =>
  (set, get) => ({
    settings: null,
    info: null,
    status: null,
    async loadStatus() {
      try {
        set({ status: await api.getStatus({}) });
      } catch {
        // The status block is informational.
      }
    },
    async testWebhooks() {
      try {
        const { deliveries } = await api.testWebhooks({});
        if (deliveries.length === 0) get().announce('No webhooks to test: add one and save first.', 'info');
        else {
          const failed = deliveries.filter((d) => !d.ok);
          get().announce(
            failed.length === 0
              ? `Test sent to ${deliveries.length} webhook${deliveries.length === 1 ? '' : 's'}.`
              : `Webhook test: ${failed.map((d) => `${d.webhook} failed (${d.error ?? d.status ?? 'no answer'})`).join('; ')}.`,
            failed.length ? 'error' : 'success',
          );
        }
      } catch (error) {
        const shape = toErrorShape(error);
        get().announce(`Webhook test failed: ${shape.message} (${shape.code})`, 'error');
      }
    },
    async loadInfo() {
      try {
        set({ info: await api.getInfo({}) });
      } catch {
        // Only the footer and the read-only notice depend on it.
      }
    },
    settingsStatus: 'idle',
    channels: {},

    async loadSettings() {
      set({ settingsStatus: 'loading' });
      try {
        set({ settings: await api.getSettings({}), settingsStatus: 'ready' });
      } catch (error) {
        set({ settingsStatus: 'error' });
        get().reportError('Could not load settings', toErrorShape(error));
      }
    },

    async loadChannels(ids) {
      // A few at a time; the rest load when their select gets focus. Until then the dialog offers what the config implies.
      const wanted = (
        ids ??
        get()
          .components.filter((c) => c.source.kind === 'settings')
          .slice(0, 20)
          .map((c) => c.id)
      ).filter((id) => !get().channels[id]);
      let next = 0;
      const found: Record<string, ChannelOption[]> = {};
      const worker = async () => {
        while (next < wanted.length) {
          const id = wanted[next++]!;
          try {
            found[id] = (await api.listChannels({ id })).channels;
          } catch {
            // An unreachable registry (npm dist-tags) must not block the dialog.
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(6, wanted.length) }, worker));
      if (Object.keys(found).length) set((s) => ({ channels: { ...s.channels, ...found } }));
    },

    async setComponentChannel(id, channel) {
      try {
        const updated = await api.setChannel({ id, channel });
        set((s) => ({ components: s.components.map((c) => (c.id === id ? updated : c)) }));
        void get().checkComponents([id], true);
        return null;
      } catch (error) {
        return toErrorShape(error);
      }
    },

    async saveSettings({ patch, githubToken, channels }) {
      try {
        const request: Parameters<typeof api.setSettings>[0] = {};
        if (Object.keys(patch).length > 0) request.patch = patch;
        if (githubToken !== undefined) request.github_token = githubToken;
        const view = await api.setSettings(request);
        set({ settings: view });
        const changed = Object.entries(channels);
        for (const [id, channel] of changed) {
          const updated = await api.setChannel({ id, channel });
          set((s) => ({ components: s.components.map((c) => (c.id === id ? updated : c)) }));
        }
        get().announce(
          changed.length ? 'Settings saved. Checking the changed channels…' : 'Settings saved.',
          'success',
        );
        if (changed.length)
          void get().checkComponents(
            changed.map(([id]) => id),
            true,
          );
        return null;
      } catch (error) {
        const shape = toErrorShape(error);
        get().announce(`Settings not saved: ${shape.message} (${shape.code})`, 'error');
        return shape;
      }
    },
  });
