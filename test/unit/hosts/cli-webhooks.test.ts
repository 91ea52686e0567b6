import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateComponent } from '../../../electron/core/config/validate';
import { createServices } from '../../../electron/core/services';
import { buildCli, repoRoot } from '../../helpers/cli';
import { tempDir } from '../../helpers/temp';

beforeAll(buildCli);

/** The real bin, asynchronously, so the webhook server in this process can answer meanwhile. */
function upkeepAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'upkeep.mjs'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('upkeep update from the command line', () => {
  it('notifies the configured webhooks of the outcome before it exits', async () => {
    const received: unknown[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const home = tempDir();
      const services = createServices({ home, host: 'cli' });
      services.settings.set({
        webhooks: [{ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, format: 'json' }],
      });
      services.components.add({
        tool: validateComponent('tool', {
          name: 'Tool',
          type: 'never_current',
          current: '1.0.0',
          method: 'update_script',
          update_script: [process.execPath, '-e', 'process.exit(0)'],
        }),
      });
      const result = await upkeepAsync(['--home', home, '--json', 'update', 'tool', '--yes']);
      expect(result.status, result.stderr).toBe(0);
      expect((JSON.parse(result.stdout) as { results: { status: string }[] }).results[0]?.status).toBe('succeeded');
      expect(received).toHaveLength(1);
      expect(JSON.stringify(received[0])).toContain('update_succeeded');
      expect(JSON.stringify(received[0])).toContain('tool');
    } finally {
      server.close();
    }
  });
});
