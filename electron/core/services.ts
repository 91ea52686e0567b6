import { ComponentRegistry } from './config/components';
import { ensureHome, type HomeLayout } from './config/home';
import { SecretStore, SettingsService, type SecretCipher } from './config/settings';
import { createConfStore, type KeyValueStore } from './config/store';
import { EventBus } from './events';
import type { UpdateEngine } from './engine/engine';
import { createUpdateEngine } from './engine/wiring';
import { createBackupService, type BackupService } from './backups/service';
import { createCheckService, type CheckService } from './checkers/service';
import { VersionChoiceStore, versionChoicesFile } from './config/version-choices';

export type HostKind = 'desktop' | 'http' | 'cli';

export interface ServicesOptions {
  home: string;
  host: HostKind;
  /** The desktop host passes its electron-store; others get conf on the same file. */
  store?: KeyValueStore;
  /** The desktop host's OS-keychain encryption for secrets (safeStorage), when it is not plain text. */
  secretCipher?: SecretCipher;
}

/** Everything the API needs, built once per process. Hosts create this and pass it to createApi. */
export interface Services {
  layout: HomeLayout;
  host: HostKind;
  store: KeyValueStore;
  events: EventBus;
  components: ComponentRegistry;
  settings: SettingsService;
  secrets: SecretStore;
  /** The update engine. Every contract call and host start recovers interrupted runs first (core/recovery.ts). */
  updates: UpdateEngine;
  /** Backups: create, list, verify, restore, delete, retention (electron/core/backups). */
  backups: BackupService;
  /** Version checks with the version cache (electron/core/checkers); the engine calls checkOne. */
  checks: CheckService;
  /** Skipped versions and holds (`<home>/holds.json`): read by checks, the engine and the scheduler. */
  holds: VersionChoiceStore;
}

export function createServices(options: ServicesOptions): Services {
  const layout = ensureHome(options.home);
  const store = options.store ?? createConfStore(layout.home);
  let updates: UpdateEngine | undefined;
  let backups: BackupService | undefined;
  let checks: CheckService | undefined;
  return {
    layout,
    host: options.host,
    store,
    events: new EventBus(),
    holds: new VersionChoiceStore(versionChoicesFile(layout.home)),
    components: new ComponentRegistry(store, layout.dropIns, layout.home),
    settings: new SettingsService(store),
    secrets: new SecretStore(layout.secrets, options.secretCipher),
    // Built on first use, so the checks and backup services it reads are in place by then.
    get updates(): UpdateEngine {
      return (updates ??= createUpdateEngine(this));
    },
    get checks(): CheckService {
      return (checks ??= createCheckService(this));
    },
    get backups(): BackupService {
      return (backups ??= createBackupService({
        layout,
        components: this.components,
        settings: this.settings,
        events: this.events,
      }));
    },
  };
}
