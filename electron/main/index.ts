import { app, BrowserWindow, safeStorage, session, shell } from 'electron';
import ElectronStore from 'electron-store';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createApi } from '../core/api';
import { resolveHome } from '../core/config/home';
import { claimDemoHome, startDemo, type DemoHome } from '../core/demo';
import { closeFleet, fleetFor } from '../core/fleet';
import type { KeyValueStore } from '../core/config/store';
import { installHostLog } from '../core/host-log';
import { createServices } from '../core/services';
import { startBackground } from '../core/startup';
import { startDesktopShell } from './desktop-shell';
import { registerIpc } from './ipc';
import { isTrustedSender } from './ipc-handler';
import { safeStorageCipher } from './secret-cipher';
import { CONTENT_SECURITY_POLICY, isSafeExternalUrl, secureWindowOptions } from './window-options';
import { errorMessage } from '../core/lib/error-info';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererIndex = path.join(here, '..', 'renderer', 'index.html');
const rendererUrl = pathToFileURL(rendererIndex).href;
const preload = path.join(here, 'preload.cjs');

function homeFlag(argv: string[]): string | undefined {
  const i = argv.indexOf('--home');
  return i >= 0 ? argv[i + 1] : undefined;
}

app.enableSandbox();

// `--demo` (npm start -- --demo): a sandbox data directory, claimed before Electron writes its own
// files, which go inside it too — the real data directory and userData are never opened.
function claimDemo(): DemoHome | undefined {
  if (!process.argv.includes('--demo')) return undefined;
  try {
    return claimDemoHome({ home: homeFlag(process.argv) });
  } catch (error) {
    process.stderr.write(`upkeep: ${errorMessage(error)}\n`);
    // Never fall through to the real data directory.
    process.exit(2);
  }
}
const demoHome = claimDemo();
if (demoHome) app.setPath('userData', path.join(demoHome.home, 'electron'));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void app.whenReady().then(start);
}

async function start(): Promise<void> {
  const demo = demoHome ? await startDemo(demoHome) : undefined;
  const home =
    demo?.dataDir ?? resolveHome({ flag: homeFlag(process.argv), electronUserData: app.getPath('userData') });
  // electron-store is conf underneath: the same config.json the CLI and headless host use.
  const electronStore = new ElectronStore<Record<string, unknown>>({
    cwd: home,
    name: 'config',
    accessPropertiesByDotNotation: false,
    watch: false,
  });
  const store: KeyValueStore = {
    get: (key) => electronStore.get(key),
    set: (key, value) => electronStore.set(key, value),
    delete: (key) => electronStore.delete(key),
  };
  // The GitHub token is encrypted with the OS keychain when there is one (never with basic_text).
  const secretCipher = safeStorageCipher(safeStorage);
  const services = createServices({ home, host: 'desktop', store, ...(secretCipher ? { secretCipher } : {}) });
  installHostLog(services, { stderr: 'warn' });
  if (demo) {
    await demo.configure(services);
    for (const line of demo.describe()) process.stdout.write(`${line}\n`);
  }
  const api = createApi(services);

  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));

  const window = new BrowserWindow(secureWindowOptions(preload));
  registerIpc({
    api,
    fleet: fleetFor(services, api),
    events: services.events,
    // Only our own top-level page may call the API.
    isTrustedSender: (event) => isTrustedSender(event, { contents: window.webContents, url: rendererUrl }),
    targets: () => [window.webContents],
  });

  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.once('ready-to-show', () => window.show());
  await window.loadFile(rendererIndex);

  const stopShell = startDesktopShell({
    services,
    window: () => (window.isDestroyed() ? undefined : window),
    iconDir: here,
  });
  // Recover interrupted runs, first run and the scheduler: the same start-up as `upkeep serve`.
  // The demo runs no first-run set-up (it would check Upkeep itself against GitHub) and no scheduler.
  const onRecoveryFailed = (error: { message: string; code: string }) =>
    void process.stderr.write(`upkeep: ${error.message} [${error.code}]
`);
  const background = await startBackground(
    services,
    demo ? { firstRun: false, scheduler: false, onRecoveryFailed } : { onRecoveryFailed },
  );
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    stopShell();
    void background.stop();
    // The remote hosts' ssh children end with the app (an update running there goes on to its end).
    void closeFleet(services);
    void demo?.close();
  });
}
