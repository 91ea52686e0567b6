import type { ErrorShape } from '../errors';
import type { CheckType, ComponentConfig, UpdateMethod } from '../schemas/component';
import type { Settings } from '../schemas/settings';

// Components as the contract carries them, their config problems, and the app and settings views.

/** Where a component's definition came from: the settings store, or a drop-in file (read-only). */
export type ComponentSource = { kind: 'settings' } | { kind: 'drop-in'; file: string };

export interface Component {
  id: string;
  name: string;
  type: CheckType;
  method: UpdateMethod | null;
  channel: string;
  source: ComponentSource;
  config: ComponentConfig;
}

/** A drop-in file or component that could not be loaded; the rest still load. */
export interface ConfigProblem {
  file: string;
  component?: string;
  code: ErrorShape['code'];
  message: string;
}

export interface ChannelOption {
  id: string;
  label: string;
}

export interface AppInfo {
  version: string;
  home: string;
  host: 'desktop' | 'http' | 'cli';
  platform: string;
  read_only: boolean;
}

export interface SettingsView {
  settings: Settings;
  /** Whether a GitHub token is stored; the token itself is never sent back. */
  github_token_set: boolean;
  /** How secrets are kept: `os` (encrypted with the OS keychain) or `file` (a 0600 plain-text file). */
  secret_storage?: 'os' | 'file';
  /** Shown in Settings when secrets are not encrypted at rest. */
  secret_storage_warning?: string | null;
}
