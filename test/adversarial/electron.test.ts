import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, isSafeExternalUrl, secureWindowOptions } from '../../electron/main/window-options';

/** Beyond test/unit/hosts/electron-window.test.ts: the options and the link filter under hostile input. */
describe('Electron window under hostile input', () => {
  it('hands the OS only http(s) links, however they are dressed up', () => {
    const refused = [
      'javascript:alert(1)',
      'JAVASCRIPT:alert(1)',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'file://host/share/x.exe',
      'vbscript:msgbox(1)',
      'ms-msdt:/id PCWDiagnostic',
      'search-ms:query=x',
      'smb://evil/share',
      'ssh://evil',
      'about:blank',
      'chrome://settings',
      'blob:https://evil/123',
      '//evil.example/x',
      '/relative/path',
      '',
    ];
    for (const url of refused) expect(isSafeExternalUrl(url), url).toBe(false);
    for (const url of ['https://github.com/o/r/releases/tag/v1.0.0', 'HTTPS://EXAMPLE.ORG/', 'http://127.0.0.1:5000/'])
      expect(isSafeExternalUrl(url), url).toBe(true);
  });

  it('no option re-enables Node, remote content or insecure mixing, whatever the preload path', () => {
    for (const preload of ['/app/preload.cjs', 'C:\\app\\preload.cjs', '']) {
      const prefs = secureWindowOptions(preload).webPreferences ?? {};
      expect(prefs.contextIsolation).toBe(true);
      expect(prefs.sandbox).toBe(true);
      expect(prefs.nodeIntegration).toBe(false);
      expect(prefs.nodeIntegrationInWorker).toBe(false);
      expect(prefs.nodeIntegrationInSubFrames).toBe(false);
      expect(prefs.webviewTag).toBe(false);
      expect(prefs.webSecurity).toBe(true);
      expect(prefs.allowRunningInsecureContent).toBe(false);
      expect(prefs.experimentalFeatures).toBe(false);
    }
  });

  it('the CSP allows no inline script, eval, remote origin, plugin, base or framing', () => {
    const directives = new Map(
      CONTENT_SECURITY_POLICY.split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name!, values]),
    );
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'none'"]);
    for (const [, values] of directives) {
      for (const v of values) expect(v).not.toMatch(/unsafe-eval|^\*$|^https?:$|^http/);
    }
  });
});
