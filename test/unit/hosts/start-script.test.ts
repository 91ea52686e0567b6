import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli';
import { tempDir } from '../../helpers/temp';

const require = createRequire(import.meta.url);
// With Electron's binary installed (a machine that could download it) the download path is not taken.
const binaryInstalled = existsSync(path.join(path.dirname(require.resolve('electron/package.json')), 'path.txt'));

const started: ChildProcess[] = [];

/** `npm start -- …` as `node scripts/start.mjs …`, in its own process group; resolves on the panel URL. */
function npmStart(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string; stderr: string }> {
  const { DISPLAY: _display, WAYLAND_DISPLAY: _wayland, ELECTRON_SKIP_BINARY_DOWNLOAD: _skip, ...rest } = process.env;
  const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'start.mjs'), ...args], {
    cwd: repoRoot,
    env: { ...rest, UPKEEP_HOME: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const url = /^(http:\/\/127\.0\.0\.1:\d+\/#token=\S+)$/m.exec(stdout)?.[1];
      if (url) resolve({ child, url, stderr });
    });
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code}: ${stderr}`)));
  });
}

/** A loopback port on which nothing listens (a free one, closed again). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(binaryInstalled)('npm start without the Electron binary', () => {
  afterEach(() => {
    // The whole group: start.mjs and the host it started.
    for (const child of started.splice(0)) {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // the group already ended
      }
    }
  });

  it("says it is downloading, gives the network's real reason it could not, and serves the demo with --demo", async () => {
    // A mirror on which nothing listens: the download is refused at once.
    const port = await closedPort();
    const { child, url, stderr } = await npmStart(['--demo', '--port', '0'], {
      ELECTRON_MIRROR: `http://127.0.0.1:${port}/`,
      TMPDIR: tempDir('upkeep-start-'),
    });
    expect(stderr).toContain(`The Electron binary is not installed yet; downloading it from 127.0.0.1:${port}`);
    expect(stderr).toContain(`could not be downloaded: 127.0.0.1:${port} could not be reached (ECONNREFUSED`);
    expect(stderr).not.toContain('fetch failed');
    expect(stderr).not.toContain('first start only');
    expect(stderr).toContain('(see README, "Desktop app and packages")');
    expect(stderr).toContain('Upkeep demo: a sandbox with three sample components');
    const response = await fetch(new URL('/', url));
    expect(response.status).toBe(200);

    // SIGKILL to npm start alone (not its group): the demo it started stops with it.
    child.kill('SIGKILL');
    const deadline = Date.now() + 15_000;
    let answering = true;
    while (answering && Date.now() < deadline) {
      answering = await fetch(new URL('/', url)).then(
        () => true,
        () => false,
      );
      if (answering) await new Promise((r) => setTimeout(r, 200));
    }
    expect(answering).toBe(false);
  });

  it('does not try to download when ELECTRON_SKIP_BINARY_DOWNLOAD is set, and says so', async () => {
    const { stderr } = await npmStart(['--demo', '--port', '0'], {
      ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
      TMPDIR: tempDir('upkeep-start-'),
    });
    expect(stderr).not.toContain('downloading');
    expect(stderr).toContain(
      'Starting the headless panel because ELECTRON_SKIP_BINARY_DOWNLOAD is set and the Electron binary is not installed.',
    );
    expect(stderr).not.toContain('Set ELECTRON_MIRROR');
  });
});
