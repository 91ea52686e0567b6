import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UpkeepError } from '../../shared/errors';
import type { UpdateResult } from '../../shared/types';
import { downloadFile, type DownloadOptions } from '../../electron/core/updaters/lib/download';
import { minisignKeys, sha256, sourceTarball } from '../fixtures/releases/tree';
import { tempDir } from '../helpers/temp';
import { OWNER, REPO, releaseFiles, releaseScenario, type Scenario } from '../unit/engine/scenario';
import { endless, resetAfter, selfSignedCert, serve, serveHttps, trickle, type Served } from './servers';
import { trashSettled } from '../../electron/core/lib/trash';

const open: Served[] = [];
let s: Scenario | undefined;
afterEach(async () => {
  for (const server of open.splice(0)) await server.close();
  await s?.cleanup();
  s = undefined;
});

async function refused(url: string, options: DownloadOptions = {}): Promise<{ error: UpkeepError; dir: string }> {
  const dir = tempDir('upkeep-dl-');
  const error = await downloadFile(url, path.join(dir, 'asset.tar.gz'), options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the download must fail').toBeInstanceOf(UpkeepError);
  // Nothing that looks like a download is left: no file, no partial file.
  expect(readdirSync(dir)).toEqual([]);
  return { error: error as UpkeepError, dir };
}

describe('downloads from hostile or broken servers (real sockets)', () => {
  it('one byte every 10 s: the idle timeout (download_idle_timeout_s) ends it, nothing kept', async () => {
    const server = await serve((_req, res) => trickle(res, randomBytes(64), 10_000));
    open.push(server);
    const { error } = await refused(`${server.origin}/slow.tar.gz`, { bodyTimeoutMs: 300 });
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(/stopped answering/);
  });

  it('a body larger than the release lists is cut as soon as it passes the listed size', async () => {
    const server = await serve((_req, res) => endless(res));
    open.push(server);
    const { error } = await refused(`${server.origin}/endless.tar.gz`, { expectedSize: 4096 });
    expect(error.code).toBe('RESPONSE_TOO_LARGE');
    expect(error.message).toContain('4096 bytes the release lists');
  });

  it('an endless body with no listed size stops at the size cap', async () => {
    const server = await serve((_req, res) => endless(res));
    open.push(server);
    const { error } = await refused(`${server.origin}/endless.tar.gz`, { maxBytes: 1024 * 1024 });
    expect(error.code).toBe('RESPONSE_TOO_LARGE');
  });

  it('a declared Content-Length above the listed size is refused before the body is read', async () => {
    const body = randomBytes(50_000);
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    });
    open.push(server);
    const { error } = await refused(`${server.origin}/big.tar.gz`, { expectedSize: 1000 });
    expect(error.code).toBe('RESPONSE_TOO_LARGE');
  });

  it('a redirect to file: is refused, and a feed URL that is a local file is never read', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(302, { location: 'file:///etc/passwd' });
      res.end();
    });
    open.push(server);
    expect((await refused(`${server.origin}/asset`)).error.code).toBe('REDIRECT_REFUSED');
    expect((await refused('file:///etc/passwd')).error.code).toBe('REDIRECT_REFUSED');
    expect((await refused('/etc/passwd')).error.code).toBe('REDIRECT_REFUSED');
    // A path the user typed into the config (single_file `url`) is allowed explicitly.
    const dir = tempDir();
    const ok = await downloadFile('/etc/hostname', path.join(dir, 'f'), { allowLocal: true }).catch(() => null);
    if (existsSync('/etc/hostname')) expect(ok?.sha256).toBe(sha256(readFileSync('/etc/hostname')));
  });

  describe('https', () => {
    let previous: Dispatcher;
    let tls: { key: Buffer; cert: Buffer };
    beforeAll(() => {
      tls = selfSignedCert(tempDir('upkeep-tls-'));
      previous = getGlobalDispatcher();
      // Trust the test certificate the way a system CA store would: the real TLS stack verifies it.
      setGlobalDispatcher(new Agent({ connect: { ca: tls.cert } }));
    });
    afterAll(() => setGlobalDispatcher(previous));

    it('a redirect from https to plain http is refused; https to https is followed', async () => {
      const body = randomBytes(2048);
      const plain = await serve((_req, res) => {
        res.writeHead(200, { 'content-length': String(body.length) });
        res.end(body);
      });
      open.push(plain);
      const secure = await serveHttps(tls, (req, res) => {
        if (req.url === '/down') res.writeHead(302, { location: `${plain.origin}/asset` }).end();
        else if (req.url === '/same') res.writeHead(302, { location: '/asset' }).end();
        else res.writeHead(200, { 'content-length': String(body.length) }).end(body);
      });
      open.push(secure);
      const { error } = await refused(`${secure.origin}/down`);
      expect(error.code).toBe('REDIRECT_REFUSED');
      expect(error.message).toContain('from https to plain http');
      expect(plain.hits).toBe(0);
      const dir = tempDir();
      const ok = await downloadFile(`${secure.origin}/same`, path.join(dir, 'a'));
      expect(ok.sha256).toBe(sha256(body));
    });

    it("the checkers' HTTP client refuses an https → http redirect too (child process trusting the test CA)", async () => {
      const plain = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"tag_name":"v9.9.9"}');
      });
      open.push(plain);
      const secure = await serveHttps(tls, (req, res) => {
        if (req.url === '/down') res.writeHead(302, { location: `${plain.origin}/releases` }).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"tag_name":"v1.0.0"}');
      });
      open.push(secure);
      const dir = tempDir();
      const ca = path.join(dir, 'ca.pem');
      writeFileSync(ca, tls.cert);
      // Asynchronous: the servers live in this process and must keep answering.
      const run = (url: string) =>
        new Promise<{ ok: boolean; code?: string; data?: unknown }>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', path.join(import.meta.dirname, 'https-client-driver.ts'), url],
            { cwd: path.resolve(import.meta.dirname, '..', '..'), env: { ...process.env, NODE_EXTRA_CA_CERTS: ca } },
          );
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.on('error', reject);
          child.on('close', () => resolve(JSON.parse(out) as { ok: boolean; code?: string; data?: unknown }));
        });
      expect(await run(`${secure.origin}/ok`)).toMatchObject({ ok: true, data: { tag_name: 'v1.0.0' } });
      expect(await run(`${secure.origin}/down`)).toMatchObject({ ok: false, code: 'REDIRECT_REFUSED' });
      expect(plain.hits).toBe(0);
    });
  });

  it('a connection reset mid-body: the download restarts from the start and the bytes are hashed anew', async () => {
    const body = randomBytes(200_000);
    const server = await serve((_req, res, hit) => {
      if (hit === 1) resetAfter(res, body, 70_000);
      else res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    });
    open.push(server);
    const dir = tempDir();
    const retries: string[] = [];
    const result = await downloadFile(`${server.origin}/asset`, path.join(dir, 'asset'), {
      expectedSize: body.length,
      onRetry: (n, e) => retries.push(`${n} ${e.code}`),
    });
    expect(server.hits).toBe(2);
    expect(retries).toEqual(['1 NETWORK']);
    expect(result.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(readFileSync(path.join(dir, 'asset')).equals(body)).toBe(true);
  });

  it('a connection that always resets: three attempts, then a clear NETWORK error, nothing kept', async () => {
    const body = randomBytes(100_000);
    const server = await serve((_req, res) => resetAfter(res, body, 10_000));
    open.push(server);
    const { error } = await refused(`${server.origin}/asset`);
    expect(error.code).toBe('NETWORK');
    expect(error.message).toMatch(/cut off/);
    expect(server.hits).toBe(3);
  });
});

const TOP = `${OWNER}-${REPO}-bbb222`;

async function update(sc: Scenario): Promise<UpdateResult> {
  const [result] = await sc.services.updates.updateComponents(['webapp'], { initiatedBy: 'cli' });
  return result as UpdateResult;
}

/** An update that must fail with `code`, leaving the folder and user data byte-identical. */
async function failsUntouched(
  options: Parameters<typeof releaseScenario>[0],
  code: string,
  prepare?: (sc: Scenario) => void | Promise<void>,
): Promise<UpdateResult> {
  s = await releaseScenario(options);
  await prepare?.(s);
  const before = s.hash();
  const uploads = s.uploadsHash();
  const result = await update(s);
  expect(result.error?.code, JSON.stringify(result.error)).toBe(code);
  expect(['failed', 'rolled_back']).toContain(result.status);
  expect(s.hash()).toBe(before);
  expect(s.uploadsHash()).toBe(uploads);
  // The tree a revert left aside is removed in the background (lib/trash.ts).
  await trashSettled();
  expect(readdirSync(path.dirname(s.folder)).filter((n) => n.includes('upkeep-'))).toEqual([]);
  expect(readdirSync(path.join(s.home, 'journal'))).toEqual([]);
  return result;
}

describe('downloads through the update engine: refused, folder byte-identical', () => {
  const asset = () => sourceTarball(TOP, releaseFiles());
  const old = () => sourceTarball(`${OWNER}-${REPO}-aaa111`, { VERSION: '1.0.0\n' });

  it("checksum file copied from another release (right name, the other release's digest)", async () => {
    await failsUntouched(
      {
        config: { asset: 'webapp-{version}.tar.gz' },
        assets: [
          { name: 'webapp-1.1.0.tar.gz', content: asset() },
          { name: 'SHA256SUMS', content: `${sha256(old())}  webapp-1.1.0.tar.gz\n` },
        ],
      },
      'CHECKSUM_MISMATCH',
    );
  });

  it('checksum file from another release that does not list this asset, with require_checksum (and no host digest)', async () => {
    await failsUntouched(
      {
        config: { asset: 'webapp-{version}.tar.gz', require_checksum: true },
        assets: [
          { name: 'webapp-1.1.0.tar.gz', content: asset() },
          { name: 'SHA256SUMS', content: `${sha256(old())}  webapp-1.0.0.tar.gz\n` },
        ],
      },
      'CHECKSUM_MISSING',
      (sc) => {
        // Assets uploaded before GitHub computed digests carry none.
        for (const release of sc.gh.releases(OWNER, REPO)) for (const a of release.assets) a.digest = null;
      },
    );
  });

  it('pinned public key and no signature in the release', async () => {
    const keys = minisignKeys();
    await failsUntouched(
      {
        config: { asset: 'webapp-{version}.tar.gz', public_key: keys.publicKey },
        assets: [{ name: 'webapp-1.1.0.tar.gz', content: asset() }],
      },
      'SIGNATURE_INVALID',
    );
  });

  it('pinned public key and a signature over other bytes', async () => {
    const keys = minisignKeys();
    await failsUntouched(
      {
        config: { asset: 'webapp-{version}.tar.gz', public_key: keys.publicKey },
        assets: [
          { name: 'webapp-1.1.0.tar.gz', content: asset() },
          { name: 'webapp-1.1.0.tar.gz.minisig', content: keys.sign(old()) },
        ],
      },
      'SIGNATURE_INVALID',
    );
  });

  it('garbage in the signature file', async () => {
    const keys = minisignKeys();
    await failsUntouched(
      {
        config: { asset: 'webapp-{version}.tar.gz', public_key: keys.publicKey },
        assets: [
          { name: 'webapp-1.1.0.tar.gz', content: asset() },
          { name: 'webapp-1.1.0.tar.gz.minisig', content: 'untrusted comment: x\nnot base64 at all!!\n' },
        ],
      },
      'SIGNATURE_INVALID',
    );
  });

  it('the release tarball redirects to file:', async () => {
    await failsUntouched({}, 'REDIRECT_REFUSED', (sc) =>
      sc.gh.fixture.fault('/_codeload/', { kind: 'redirect', location: 'file:///etc/passwd' }),
    );
  });

  it('a stalled mirror: idle timeout from the setting, well under a second', async () => {
    const server = await serve((_req, res) => trickle(res, randomBytes(64), 10_000));
    open.push(server);
    await failsUntouched({}, 'TIMEOUT', (sc) => {
      sc.services.settings.set({ download_idle_timeout_s: 0.3 });
      sc.gh.fixture.fault('/_codeload/', { kind: 'redirect', location: `${server.origin}/tarball` });
    });
  });

  it('the asset is endless: cut at its listed size', async () => {
    await failsUntouched(
      { config: { asset: 'webapp-{version}.tar.gz' }, assets: [{ name: 'webapp-1.1.0.tar.gz', content: asset() }] },
      'RESPONSE_TOO_LARGE',
      (sc) => sc.gh.fixture.fault(/releases\/download\//, { kind: 'endless' }),
    );
  });

  it('connection cut once mid-body: retried from the start, verified again, installed', async () => {
    const content = asset();
    s = await releaseScenario({
      config: { asset: 'webapp-{version}.tar.gz', require_checksum: true },
      assets: [
        { name: 'webapp-1.1.0.tar.gz', content },
        { name: 'SHA256SUMS', content: `${sha256(content)}  webapp-1.1.0.tar.gz\n` },
      ],
    });
    s.gh.fixture.fault(
      /releases\/download\/.*webapp-1\.1\.0\.tar\.gz$/,
      { kind: 'truncate', bytes: 300, declaredBytes: content.length },
      1,
    );
    const result = await update(s);
    expect(result).toMatchObject({ status: 'succeeded', to: '1.1.0' });
    const log = readFileSync(path.join(s.home, 'logs', `${result.run_id}.log`), 'utf8');
    expect(log).toContain('Retrying from the start');
    expect(log).toContain(`sha256 ${sha256(content)} verified against`);
    expect(readFileSync(path.join(s.folder, 'VERSION'), 'utf8')).toBe('1.1.0\n');
  });
});
