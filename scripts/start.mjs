// `npm start`: the desktop app when Electron's binary is installed (or can be fetched), otherwise
// the headless host with the panel in a browser. Electron 45 downloads its binary on first use;
// on machines that cannot reach Electron's download host that fails, and we say so and serve instead.
// `npm start -- --demo`: the same choice, on a sandbox with sample components (`upkeep demo`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

async function electronBinary() {
  let dir;
  try {
    dir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { path: null, why: 'the electron package is not installed' };
  }
  const pathFile = path.join(dir, 'path.txt');
  if (existsSync(pathFile)) {
    const bin = path.join(dir, 'dist', readFileSync(pathFile, 'utf8'));
    if (existsSync(bin)) return { path: bin };
  }
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD)
    return { path: null, why: 'ELECTRON_SKIP_BINARY_DOWNLOAD is set and the Electron binary is not installed' };
  const mirror = electronMirror();
  console.error(`The Electron binary is not installed yet; downloading it from ${new URL(mirror).host}…`);
  const result = spawnSync(process.execPath, [path.join(dir, 'install.js')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
  });
  if (result.status === 0 && existsSync(pathFile)) {
    const bin = path.join(dir, 'dist', readFileSync(pathFile, 'utf8'));
    if (existsSync(bin)) return { path: bin };
  }
  return {
    path: null,
    why: `the Electron binary could not be downloaded: ${await downloadFailure(result, mirror)}`,
    retry: true,
  };
}

/** Where Electron's install script downloads from (its own mirror settings, else GitHub). */
function electronMirror() {
  const configured =
    process.env.ELECTRON_MIRROR || process.env.npm_config_electron_mirror || process.env.NPM_CONFIG_ELECTRON_MIRROR;
  try {
    return new URL(configured).href;
  } catch {
    return 'https://github.com/electron/electron/releases/download/';
  }
}

/**
 * Why the download failed. Electron's install script prints only `TypeError: fetch failed` for a
 * network error (the cause stays inside the error), so ask the download host once ourselves and
 * report what the network said: the host that did not resolve, the refused connection, the status.
 */
async function downloadFailure(result, mirror) {
  if (result.error)
    return result.error.code === 'ETIMEDOUT' ? 'the download took longer than 2 minutes' : result.error.message;
  const printed = (result.stderr?.toString() ?? '')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /Error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|HTTPError|status/.test(l));
  if (printed && !/fetch failed/.test(printed)) return printed.slice(0, 200);
  const host = new URL(mirror).host;
  try {
    const response = await fetch(mirror, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    return `${host} answered HTTP ${response.status}${printed ? ` (the install script said: ${printed.slice(0, 120)})` : ''}`;
  } catch (error) {
    const cause = error.cause ?? error;
    const code = cause.code ?? cause.name;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return `${host} could not be resolved (${code}): this machine cannot reach Electron's download host`;
    return `${host} could not be reached (${code ?? 'error'}: ${cause.message})`;
  }
}

if (!existsSync(path.join(root, 'dist', 'cli.mjs')) || !existsSync(path.join(root, 'dist', 'renderer', 'index.html'))) {
  const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const electron = args.includes('--headless') ? { path: null, why: '--headless was given' } : await electronBinary();
const rest = args.filter((a) => a !== '--headless');
let child;
if (electron.path && (process.env.DISPLAY || process.env.WAYLAND_DISPLAY || process.platform !== 'linux')) {
  child = spawn(electron.path, [root, ...rest], { stdio: 'inherit' });
} else {
  const why = electron.path ? 'no display is available ($DISPLAY is not set)' : electron.why;
  console.error(`Starting the headless panel because ${why}.`);
  console.error(
    'The desktop app opens instead once Electron is installed on a machine with a display (see README, "Desktop app and packages").',
  );
  if (electron.retry)
    console.error(
      'Set ELECTRON_MIRROR to a reachable mirror, or ELECTRON_SKIP_BINARY_DOWNLOAD=1 to stop trying at each start.',
    );
  // The host's stdin is a pipe from this process: when this process ends in any way (SIGKILL
  // included) the system closes it, and the host stops.
  const [command, ...options] = rest.includes('--demo')
    ? ['demo', ...rest.filter((a) => a !== '--demo')]
    : ['serve', ...rest];
  const serve = [path.join(root, 'bin', 'upkeep.mjs'), command, '--stop-on-stdin-close', ...options];
  child = spawn(process.execPath, serve, { stdio: ['pipe', 'inherit', 'inherit'] });
}

// Stopping this process stops what it started: each stop signal is passed on, and the child's exit ends this process.
// (The desktop app has no stdin pipe to watch: if this process is SIGKILLed, its window stays open until closed.)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

// `npm start` runs this under npm and a shell, which end on a signal without passing it on: when
// this process is handed to another parent, stop the child as if the signal had come here.
const parent = process.ppid;
const orphaned = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(orphaned);
  child.kill('SIGTERM');
}, 500);
orphaned.unref();
