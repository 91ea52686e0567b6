import type { SafeStorage } from 'electron';
import type { SecretCipher } from '../core/config/settings';

export type SafeStorageLike = Pick<
  SafeStorage,
  'isEncryptionAvailable' | 'getSelectedStorageBackend' | 'encryptString' | 'decryptString'
>;

/**
 * The desktop host's cipher for secrets: Electron's safeStorage, but only when it is backed by a
 * real keychain. On Linux without one, Electron falls back to `basic_text` (a hard-coded key):
 * that is not encryption, so Upkeep keeps the 0600 file instead and Settings says so.
 */
export function safeStorageCipher(
  safe: SafeStorageLike,
  platform: NodeJS.Platform = process.platform,
): SecretCipher | undefined {
  if (!safe.isEncryptionAvailable()) return undefined;
  if (platform === 'linux') {
    const backend = safe.getSelectedStorageBackend();
    if (backend === 'basic_text' || backend === 'unknown') return undefined;
  }
  return {
    encrypt: (plain) => safe.encryptString(plain).toString('base64'),
    decrypt: (stored) => safe.decryptString(Buffer.from(stored, 'base64')),
  };
}
