import { chmodSync, readFileSync } from 'node:fs';
import { UpkeepError } from '../../../shared/errors';
import { DEFAULT_SETTINGS, settingsSchema, type Settings, type SettingsPatch } from '../../../shared/schemas/settings';
import { describeIssues } from '../../../shared/contract';
import { writeFileAtomic } from '../lib/fs-atomic';
import type { KeyValueStore } from './store';
import { isRecord } from '../../../shared/guards';

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

  /** Change exactly the keys the patch names; every other setting keeps its stored value. */
  set(patch: SettingsPatch): Settings {
    // A key sent as `undefined` (IPC keeps them) names no change: it must not fall back to the default.
    const named = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    const next = settingsSchema.safeParse({ ...this.get(), ...named });
    if (!next.success) {
      const { message, fields } = describeIssues(next.error.issues, 'settings');
      throw new UpkeepError('INVALID_CONFIG', message, { fields });
    }
    this.store.set(STORE_KEY, next.data);
    return next.data;
  }
}

/**
 * Encryption the host offers for secrets at rest (the desktop host: Electron's safeStorage, backed
 * by the OS keychain). Core never imports electron; the pair is injected.
 */
export interface SecretCipher {
  encrypt(plain: string): string;
  decrypt(stored: string): string;
}

const ENCRYPTED = 'enc:v1:';

/**
 * Write-only secrets (the GitHub token), kept in a 0600 file apart from config.json so that
 * settings can be shown, copied and logged without them. With a cipher from the host, values are
 * stored encrypted; without one (CLI, headless host, or no OS keychain) the 0600 file is all there is.
 */
export class SecretStore {
  constructor(
    private readonly file: string,
    private readonly cipher?: SecretCipher,
  ) {}

  /** `os`: encrypted with the OS keychain; `file`: plain text in a 0600 file. */
  get protection(): 'os' | 'file' {
    return this.cipher ? 'os' : 'file';
  }

  private read(): Record<string, string> {
    try {
      const value: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      // Only string values are secrets; anything else in the file is not one.
      return isRecord(value) ? Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
    } catch {
      return {};
    }
  }

  get(key: string): string | undefined {
    const value = this.read()[key];
    if (typeof value !== 'string' || !value.startsWith(ENCRYPTED)) return value;
    // Encrypted by a desktop host: readable only where that keychain is.
    if (!this.cipher) return undefined;
    try {
      return this.cipher.decrypt(value.slice(ENCRYPTED.length));
    } catch {
      return undefined;
    }
  }

  has(key: string): boolean {
    return typeof this.read()[key] === 'string';
  }

  async set(key: string, value: string | null): Promise<void> {
    const data = this.read();
    if (value === null || value === '') delete data[key];
    else data[key] = this.cipher ? `${ENCRYPTED}${this.cipher.encrypt(value)}` : value;
    await writeFileAtomic(this.file, JSON.stringify(data), { mode: 0o600 });
    chmodSync(this.file, 0o600);
  }
}
