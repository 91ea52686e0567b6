import { chmodSync, readFileSync } from 'node:fs';
import { UpkeepError } from '../../../shared/errors';
import { DEFAULT_SETTINGS, settingsSchema, type Settings, type SettingsPatch } from '../../../shared/schemas/settings';
import { describeIssues } from '../../../shared/contract';
import { writeFileAtomic } from '../lib/fs-atomic';
import type { KeyValueStore } from './store';

const STORE_KEY = 'settings';

export class SettingsService {
  constructor(private readonly store: KeyValueStore) {}

  get(): Settings {
    const raw = this.store.get(STORE_KEY);
    const merged = { ...DEFAULT_SETTINGS, ...(typeof raw === 'object' && raw !== null ? raw : {}) };
    const parsed = settingsSchema.safeParse(merged);
    // A hand-damaged value falls back to the defaults key by key rather than failing every command.
    if (parsed.success) return parsed.data;
    const fixed: Record<string, unknown> = { ...merged };
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0]);
      if (key in DEFAULT_SETTINGS) fixed[key] = DEFAULT_SETTINGS[key as keyof Settings];
      else delete fixed[key];
    }
    return settingsSchema.parse(fixed);
  }

  set(patch: SettingsPatch): Settings {
    const next = settingsSchema.safeParse({ ...this.get(), ...patch });
    if (!next.success) {
      const { message, fields } = describeIssues(next.error.issues, 'settings');
      throw new UpkeepError('INVALID_CONFIG', message, { fields });
    }
    this.store.set(STORE_KEY, next.data);
    return next.data;
  }
}

/**
 * Write-only secrets (the GitHub token), kept in a 0600 file apart from config.json so that
 * settings can be shown, copied and logged without them. The desktop host may wrap this with safeStorage.
 */
export class SecretStore {
  constructor(private readonly file: string) {}

  private read(): Record<string, string> {
    try {
      const value = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      return typeof value === 'object' && value !== null ? (value as Record<string, string>) : {};
    } catch {
      return {};
    }
  }

  get(key: string): string | undefined {
    return this.read()[key];
  }

  has(key: string): boolean {
    return typeof this.read()[key] === 'string';
  }

  async set(key: string, value: string | null): Promise<void> {
    const data = this.read();
    if (value === null || value === '') delete data[key];
    else data[key] = value;
    await writeFileAtomic(this.file, JSON.stringify(data), { mode: 0o600 });
    chmodSync(this.file, 0o600);
  }
}
