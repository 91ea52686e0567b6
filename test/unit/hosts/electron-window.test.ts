import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, isSafeExternalUrl, secureWindowOptions } from '../../../electron/main/window-options';
import { METHOD_NAMES } from '../../../shared/contract';
import { repoRoot } from '../../helpers/cli';

describe('Electron window', () => {
  it('is isolated and sandboxed, with no Node in the renderer', () => {
    const prefs = secureWindowOptions('/app/preload.cjs').webPreferences!;
    expect(prefs).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
    });
  });

  it('has a CSP without inline or remote scripts', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*unsafe/);
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
  });

  it('hands only http(s) links to the OS', () => {
    expect(isSafeExternalUrl('https://github.com/o/r/releases')).toBe(true);
    expect(isSafeExternalUrl('http://127.0.0.1:5000/')).toBe(true);
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'vscode://x', 'not a url', '']) {
      expect(isSafeExternalUrl(url)).toBe(false);
    }
  });

  it('main denies navigation and new windows, and checks the IPC sender', () => {
    const main = readFileSync(path.join(repoRoot, 'electron', 'main', 'index.ts'), 'utf8');
    expect(main).toMatch(/will-navigate', \(event\) => event\.preventDefault\(\)/);
    expect(main).toMatch(/setWindowOpenHandler\([\s\S]*?return \{ action: 'deny' \}/);
    expect(main).toMatch(/isTrustedSender: \(event\) => isTrustedSender\(event, \{ contents: window\.webContents, url: rendererUrl \}\)/);
  });

  it('the preload exposes exactly the contract methods and on()', () => {
    expect(METHOD_NAMES.length).toBeGreaterThan(5);
    const preload = readFileSync(path.join(repoRoot, 'electron', 'preload', 'index.ts'), 'utf8');
    expect(preload).toContain('for (const method of METHOD_NAMES)');
    expect(preload).toContain("contextBridge.exposeInMainWorld('upkeep', bridge as Bridge)");
  });
});
