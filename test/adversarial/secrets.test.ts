import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApi } from '../../electron/core/api';
import { SecretStore, type SecretCipher } from '../../electron/core/config/settings';
import { createServices } from '../../electron/core/services';
import { safeStorageCipher, type SafeStorageLike } from '../../electron/main/secret-cipher';
import { sha256, sourceTarball } from '../fixtures/releases/tree';
import { tempDir } from '../helpers/temp';
import { OWNER, REPO, releaseFiles, releaseScenario, type Scenario } from '../unit/engine/scenario';
import { runCrashDriver } from './crash-points';
import { filesContaining } from '../helpers/grep-home';

/** A real AES-256-GCM cipher standing where the desktop host injects safeStorage's pair. */
function aesCipher(key = randomBytes(32)): SecretCipher {
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
    },
    decrypt(stored) {
      const raw = Buffer.from(stored, 'base64');
      const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

const TOKEN = 'ghp_SECRETtoken0123456789abcdefABCDEF0000';

describe('the GitHub token at rest', () => {
  it('with the host cipher: encrypted in secrets.json (0600), read back, unreadable without that keychain', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'secrets.json');
    const cipher = aesCipher();
    const store = new SecretStore(file, cipher);
    await store.set('github_token', TOKEN);
    expect(readFileSync(file, 'utf8')).not.toContain(TOKEN);
    expect(readFileSync(file, 'utf8')).toContain('enc:v1:');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(store.get('github_token')).toBe(TOKEN);
    expect(store.protection).toBe('os');
    // Another process without the keychain (CLI) never mistakes the ciphertext for a token.
    expect(new SecretStore(file).get('github_token')).toBeUndefined();
    expect(new SecretStore(file, aesCipher()).get('github_token')).toBeUndefined();
  });

  it('without one: a 0600 plain file, and the desktop Settings carry a warning', async () => {
    const home = path.join(tempDir(), 'home');
    const desktop = createApi(createServices({ home, host: 'desktop' }));
    await desktop.setSettings({ github_token: TOKEN }, { initiatedBy: 'panel', readOnly: false });
    const view = await desktop.getSettings({}, { initiatedBy: 'panel', readOnly: false });
    expect(view).toMatchObject({ github_token_set: true, secret_storage: 'file' });
    expect(view.secret_storage_warning).toMatch(/0600/);
    expect(JSON.stringify(view)).not.toContain(TOKEN);
    expect(statSync(path.join(home, 'secrets.json')).mode & 0o777).toBe(0o600);
    const encrypted = createApi(
      createServices({ home: path.join(tempDir(), 'home'), host: 'desktop', secretCipher: aesCipher() }),
    );
    expect(await encrypted.getSettings({}, { initiatedBy: 'panel', readOnly: false })).toMatchObject({
      secret_storage: 'os',
      secret_storage_warning: null,
    });
  });

  it('safeStorage is used only when its backend is a real keychain (never basic_text)', () => {
    const inner = aesCipher();
    const safe = (
      backend: ReturnType<SafeStorageLike['getSelectedStorageBackend']>,
      available = true,
    ): SafeStorageLike => ({
      isEncryptionAvailable: () => available,
      getSelectedStorageBackend: () => backend,
      encryptString: (plain: string) => Buffer.from(inner.encrypt(plain), 'base64'),
      decryptString: (data: Buffer) => inner.decrypt(data.toString('base64')),
    });
    expect(safeStorageCipher(safe('basic_text'), 'linux')).toBeUndefined();
    expect(safeStorageCipher(safe('unknown'), 'linux')).toBeUndefined();
    expect(safeStorageCipher(safe('gnome_libsecret', false), 'linux')).toBeUndefined();
    const cipher = safeStorageCipher(safe('gnome_libsecret'), 'linux');
    expect(cipher?.decrypt(cipher.encrypt(TOKEN))).toBe(TOKEN);
    expect(safeStorageCipher(safe('unknown'), 'darwin')).toBeDefined();
  });
});

let s: Scenario | undefined;
afterEach(async () => {
  await s?.cleanup();
  s = undefined;
});

describe('secrets never reach logs, history, journal or cache', () => {
  it('after successful, failed and interrupted updates with a token and an API key set', async () => {
    const TOP = `${OWNER}-${REPO}-bbb222`;
    const asset = sourceTarball(TOP, releaseFiles());
    const apiKey = 'owui_APIKEY_do_not_log_0123456789';
    process.env.UPKEEP_TEST_API_KEY = apiKey;
    s = await releaseScenario({
      config: {
        asset: 'webapp-{version}.tar.gz',
        api_key_env: 'UPKEEP_TEST_API_KEY',
        // A command that prints the key: the log must show it masked.
        install: [['node', '-e', 'console.log("key is " + process.env.UPKEEP_TEST_API_KEY)']],
      },
      assets: [
        { name: 'webapp-1.1.0.tar.gz', content: asset },
        { name: 'SHA256SUMS', content: `${sha256(asset)}  webapp-1.1.0.tar.gz\n` },
      ],
    });
    const api = createApi(s.services);
    await api.setSettings({ github_token: TOKEN }, { initiatedBy: 'panel', readOnly: false });
    // Interrupted: killed in the middle, then recovered by another process.
    const killed = await runCrashDriver(s.home, 'update', 'webapp', 30);
    expect(killed.signal).toBe('SIGKILL');
    await createServices({ home: s.home, host: 'http' }).updates.recoverInterruptedRuns();
    // Succeeds.
    const [ok] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
    expect(ok?.status, JSON.stringify(ok?.error)).toBe('succeeded');
    // The token really was used (sent to the API host only).
    expect(s.gh.fixture.requests.some((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    // Fails, with the token in what the failing command printed (it reads the secrets file).
    const secretsFile = path.join(s.home, 'secrets.json');
    await api.updateComponent(
      {
        id: 'webapp',
        config: {
          ...s.services.components.get('webapp').config,
          install: [
            [
              'node',
              '-e',
              'console.error(require("fs").readFileSync(process.argv[1], "utf8")); process.exit(3)',
              secretsFile,
            ],
          ],
        },
      },
      { initiatedBy: 'panel', readOnly: false },
    );
    await api.checkComponents({ force: true }, { initiatedBy: 'panel', readOnly: false });
    const [failed] = await s.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli', force: true });
    expect(failed?.status).toBe('rolled_back');
    // The command did print the secrets; the log shows them masked.
    expect(readFileSync(path.join(s.home, 'logs', `${failed!.run_id}.log`), 'utf8')).toContain('"github_token":"***"');
    const logs = readdirSync(path.join(s.home, 'logs'));
    expect(logs.length).toBeGreaterThanOrEqual(3);
    expect(
      readFileSync(path.join(s.home, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).length,
    ).toBeGreaterThanOrEqual(3);
    expect(filesContaining(s.home, TOKEN)).toEqual([]);
    expect(filesContaining(s.home, apiKey)).toEqual([]);
    delete process.env.UPKEEP_TEST_API_KEY;
  });
});
