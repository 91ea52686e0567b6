import { readFileSync, statSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { singleFileUpdater } from '../../../electron/core/updaters/single-file';
import { sleepABitUpdater } from '../../../electron/core/updaters/sleep-a-bit';
import { updateScriptUpdater } from '../../../electron/core/updaters/update-script';
import { HttpFixture, sendBytes } from '../../fixtures/servers';
import { tempDir } from '../../helpers/temp';
import { sha256 } from '../../fixtures/releases/tree';
import { updaterContext } from './harness';

let server: HttpFixture | undefined;
afterEach(async () => server?.close());

describe('update_script', () => {
  it('substitutes placeholders per argv item and never goes through a shell', async () => {
    const dir = tempDir();
    const script = path.join(dir, 'record.js');
    writeFileSync(script, "require('fs').writeFileSync(process.argv[2], JSON.stringify(process.argv.slice(3)))\n");
    const out = path.join(dir, 'args.json');
    const run = updaterContext(
      dir,
      'op',
      {
        type: 'github_release',
        user: 'o',
        repo: 'r',
        method: 'update_script',
        folder: dir,
        branch: 'rc/maintenance',
        update_script: `node ${script} ${out} --target={target} "{folder}" {branch} '$(touch pwned)'`,
      },
      { version: '1.9.0', tag: '1.9.0 ;echo' },
    );
    await updateScriptUpdater.apply(run.ctx);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual([
      '--target=1.9.0 ;echo',
      dir,
      'rc/maintenance',
      '$(touch pwned)',
    ]);
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
  });
});

describe('single_file', () => {
  it('downloads, verifies against the configured checksum and replaces the file atomically, keeping its mode', async () => {
    const body = Buffer.from('# plugin v2\n');
    server = await new HttpFixture((_req, res) => sendBytes(res, 200, body)).start();
    const dir = tempDir();
    const file = path.join(dir, 'plugin.py');
    writeFileSync(file, '# plugin v1\n');
    chmodSync(file, 0o640);
    // The data directory apart from the plugin's folder: a file inside it is never replaced.
    const run = updaterContext(
      tempDir(),
      'plug',
      {
        type: 'jsondata',
        jsondata: `${server.origin}/v.json`,
        method: 'single_file',
        url: `${server.origin}/plugin-{target_version}.py`,
        file,
        checksum: `sha256:${sha256(body)}`,
      },
      { version: '2' },
    );
    const backupId = await singleFileUpdater.snapshot?.create(run.ctx);
    await singleFileUpdater.download?.(run.ctx);
    await singleFileUpdater.verify?.(run.ctx);
    await singleFileUpdater.apply(run.ctx);
    expect(readFileSync(file, 'utf8')).toBe('# plugin v2\n');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(server.requests[0]?.path).toBe('/plugin-2.py');
    await singleFileUpdater.snapshot?.restore(run.ctx, backupId as string);
    expect(readFileSync(file, 'utf8')).toBe('# plugin v1\n');
  });

  it('refuses a download that does not match its checksum, leaving the file alone', async () => {
    server = await new HttpFixture((_req, res) => sendBytes(res, 200, Buffer.from('evil'))).start();
    const dir = tempDir();
    const file = path.join(dir, 'plugin.py');
    writeFileSync(file, '# plugin v1\n');
    const run = updaterContext(
      dir,
      'plug',
      {
        type: 'jsondata',
        jsondata: `${server.origin}/v.json`,
        method: 'single_file',
        url: `${server.origin}/plugin.py`,
        file,
        checksum: `sha256:${sha256('good')}`,
      },
      { version: '2' },
    );
    await singleFileUpdater.download?.(run.ctx);
    await expect(singleFileUpdater.verify?.(run.ctx)).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(readFileSync(file, 'utf8')).toBe('# plugin v1\n');
  });
});

describe('sleep_a_bit', () => {
  it('logs a countdown', async () => {
    const run = updaterContext(
      tempDir(),
      'nap',
      { type: 'never_current', method: 'sleep_a_bit', duration: 2 },
      { version: '1.0.1' },
    );
    await sleepABitUpdater.apply(run.ctx);
    expect(run.lines.map((l) => l.line)).toEqual([
      'sleeping 2 more seconds',
      'sleeping 1 more second',
      'done sleeping',
    ]);
    // Each second's abort listener is gone with its second: none pile up on the run's signal.
    expect(getEventListeners(run.ctx.signal, 'abort')).toHaveLength(0);
  });
});
