import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, isSafeExternalUrl, secureWindowOptions } from '../../../electron/main/window-options';
import { METHOD_NAMES } from '../../../shared/contract';
import { spawnSync } from 'node:child_process';
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
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'vscode://x',
      'not a url',
      '',
    ]) {
      expect(isSafeExternalUrl(url)).toBe(false);
    }
  });

  it('main denies navigation and new windows, and checks the IPC sender', () => {
    const main = readFileSync(path.join(repoRoot, 'electron', 'main', 'index.ts'), 'utf8');
    expect(main).toMatch(/will-navigate', \(event\) => event\.preventDefault\(\)/);
    expect(main).toMatch(/setWindowOpenHandler\([\s\S]*?return \{ action: 'deny' \}/);
    expect(main).toMatch(
      /isTrustedSender: \(event\) => isTrustedSender\(event, \{ contents: window\.webContents, url: rendererUrl \}\)/,
    );
  });

  it('the built preload exposes exactly the contract methods and on(), and nothing else', () => {
    const built = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs'), 'preload'], {
      encoding: 'utf8',
    });
    expect(built.status, built.stderr).toBe(0);
    const code = readFileSync(path.join(repoRoot, 'dist', 'electron', 'preload.cjs'), 'utf8');
    // Run the real bundle against a recording stand-in for electron's preload API.
    const exposed: Record<string, Record<string, unknown>> = {};
    const invoked: unknown[][] = [];
    const fakeElectron = {
      contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => void (exposed[key] = api) },
      ipcRenderer: { invoke: (...args: unknown[]) => invoked.push(args), on: () => undefined },
    };
    const run = new Function('require', 'module', 'exports', code) as (
      r: (id: string) => unknown,
      m: object,
      e: object,
    ) => void;
    run(
      (id) => {
        if (id !== 'electron') throw new Error(`the preload required ${id}`);
        return fakeElectron;
      },
      { exports: {} },
      {},
    );
    const api = exposed.upkeep!;
    expect(Object.keys(api).sort()).toEqual([...METHOD_NAMES, 'on'].sort());
    (api.listComponents as (r: unknown) => unknown)({});
    expect(invoked).toEqual([['upkeep:invoke', 'listComponents', {}]]);
    expect(() => (api.on as (e: string, cb: () => void) => unknown)('not_an_event', () => undefined)).toThrow(
      /Unknown event/,
    );
    expect(code.length).toBeLessThan(20_000);
  });
});
