import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The only window options Upkeep uses: isolated, sandboxed, no Node in the renderer. Kept in a
 * plain module so a test can check them without starting Electron.
 */
export function secureWindowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Upkeep',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      spellcheck: false,
    },
  };
}

export { CONTENT_SECURITY_POLICY } from '../../shared/csp';

/** Links the panel may hand to the OS browser: http(s) only, never file:, javascript: or custom schemes. */
export function isSafeExternalUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    // Not a URL: never opened.
    return false;
  }
}
