import { chmodSync } from 'node:fs';
import { UpkeepError } from '../../../shared/errors';
import {
  DEFAULT_SETTINGS,
  SETTING_KEYS,
  settingsSchema,
  type Settings,
  type SettingsPatch,
} from '../../../shared/schemas/settings';
import { isOneOf } from '../../../shared/guards';
import { describeIssues } from '../../../shared/contract';
import { z } from 'zod';
import { writeFileAtomic } from '../lib/fs-atomic';
import { logger } from '../lib/log';
import { keepCorruptCopy, readStateFileSync } from '../lib/state-file';
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
      if (isOneOf(key, SETTING_KEYS) && key in DEFAULT_SETTINGS) fixed[key] = DEFAULT_SETTINGS[key];
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

const log = logger('config.secrets');
const secretsFileSchema = z.record(z.string(), z.string());

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

  private damaged: string | null = null;

  /** The stored secrets; none when the file is missing. A damaged file reads as none (logged once) and is copied aside before a write replaces it. */
  private read(): Record<string, string> {
    let got;
    try {
      got = readStateFileSync(this.file, secretsFileSchema);
    } catch (error) {
      log.error('the secret store cannot be read; requests go without its token', { file: this.file, error });
      return {};
    }
    if (got.status === 'ok') return got.value;
    if (got.status === 'corrupt' && this.damaged !== got.reason) {
      this.damaged = got.reason;
      log.error('the secret store is damaged; requests go without its token until it is set again', {
        file: this.file,
        reason: got.reason,
      });
    }
    return {};
  }

  get(key: string): string | undefined {
    const value = this.read()[key];
    if (typeof value !== 'string' || !value.startsWith(ENCRYPTED)) return value;
    // Encrypted by a desktop host: readable only where that keychain is.
    if (!this.cipher) return undefined;
    try {
      return this.cipher.decrypt(value.slice(ENCRYPTED.length));
    } catch (error) {
      // Encrypted under another keychain (or damaged): requests go without it, and the panel shows it set.
      log.warn('a stored secret cannot be decrypted with this keychain; requests go without it', { key, error });
      return undefined;
    }
  }

  has(key: string): boolean {
    return typeof this.read()[key] === 'string';
  }

  async set(key: string, value: string | null): Promise<void> {
    const data = this.read();
    if (this.damaged !== null) {
      const copy = keepCorruptCopy(this.file);
      if (copy) chmodSync(copy, 0o600);
      this.damaged = null;
    }
    if (value === null || value === '') delete data[key];
    else data[key] = this.cipher ? `${ENCRYPTED}${this.cipher.encrypt(value)}` : value;
    await writeFileAtomic(this.file, JSON.stringify(data), { mode: 0o600 });
    chmodSync(this.file, 0o600);
  }
}
