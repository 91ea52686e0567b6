import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { StdioConnection } from '../../../electron/core/remote/stdio-connection';
import { buildCli, repoRoot } from '../../helpers/cli';
import { tempDir } from '../../helpers/temp';

const BIN = path.join(repoRoot, 'bin', 'upkeep.mjs');

/** The real `upkeep serve --stdio` child, spoken to line by line without the client class. */
function rawServer(home: string) {
  const child = spawn(process.execPath, [BIN, 'serve', '--stdio', '--data-dir', home], {
    env: { ...process.env, UPKEEP_HOME: '' },
  });
  const lines: unknown[] = [];
  let buffered = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      lines.push(JSON.parse(buffered.slice(0, nl)));
      buffered = buffered.slice(nl + 1);
      for (const w of waiters.splice(0)) w();
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  async function line(n: number): Promise<Record<string, unknown>> {
    while (lines.length <= n) await new Promise<void>((resolve) => waiters.push(resolve));
    return lines[n] as Record<string, unknown>;
  }
  return { child, lines, line, exited, send: (text: string) => child.stdin.write(text) };
}

describe('upkeep serve --stdio', () => {
  beforeAll(() => buildCli());

  it('says hello first, answers requests by id, and refuses bad lines with a stable code without dying', async () => {
    const home = tempDir();
    const s = rawServer(home);
    const hello = await s.line(0);
    expect(hello).toMatchObject({
      type: 'hello',
      protocol: 1,
      upkeep: expect.stringMatching(/^\d+\.\d+\.\d+/),
      host: expect.any(String),
    });
    s.send('{"type":"request","id":"a","method":"getInfo","params":{}}\n');
    expect(await s.line(1)).toMatchObject({ type: 'response', id: 'a', ok: true, result: { home } });
    // Validated as every host validates: an unknown field, an unknown method.
    s.send('{"type":"request","id":"b","method":"getComponent","params":{"id":"x","extra":1}}\n');
    expect(await s.line(2)).toMatchObject({ type: 'response', id: 'b', ok: false, error: { code: 'INVALID_REQUEST' } });
    s.send('{"type":"request","id":"c","method":"dropTables","params":{}}\n');
    expect(await s.line(3)).toMatchObject({ id: 'c', ok: false, error: { code: 'UNKNOWN_METHOD' } });
    s.send('{"type":"request","id":"d","method":"getComponent","params":{"__proto__":{"x":1}}}\n');
    expect(await s.line(4)).toMatchObject({ id: 'd', ok: false, error: { code: 'INVALID_REQUEST' } });
    s.send('not json at all\n');
    expect(await s.line(5)).toMatchObject({
      type: 'response',
      id: null,
      ok: false,
      error: { code: 'INVALID_REQUEST', details: { reason: 'bad_json' } },
    });
    s.send('{"type":"request","method":"getInfo"}\n');
    expect(await s.line(6)).toMatchObject({
      id: null,
      ok: false,
      error: { code: 'INVALID_REQUEST', details: { reason: 'bad_message' } },
    });
    // A line over 4 MiB, sent in pieces: refused once, skipped, and the next request still answered.
    const big = `{"type":"request","id":"e","method":"addComponents","params":{"text":"${'x'.repeat(5 * 1024 * 1024)}"}}\n`;
    s.send(big.slice(0, 3_000_000));
    s.send(big.slice(3_000_000));
    expect(await s.line(7)).toMatchObject({
      id: null,
      ok: false,
      error: { code: 'INVALID_REQUEST', details: { reason: 'line_too_long' } },
    });
    s.send('{"type":"request","id":"f","method":"listComponents","params":{}}\n');
    expect(await s.line(8)).toMatchObject({ id: 'f', ok: true, result: { components: expect.any(Array) } });
    // stdin's end: it answers what it took, then exits cleanly.
    s.child.stdin.end();
    expect(await s.exited).toBe(0);
  });

  it('pushes the engine events to the client', async () => {
    const home = tempDir();
    const conn = new StdioConnection({
      argv: [process.execPath, BIN, 'serve', '--stdio', '--data-dir', home],
      name: 'local',
    });
    const events: string[] = [];
    conn.onEvent((event) => events.push(event));
    try {
      await conn.call('addComponents', {
        components: { tool: { name: 'Tool', type: 'always_current', current_version: '3.0.0' } },
      });
      expect(events).toContain('components_changed');
    } finally {
      await conn.close();
    }
  });

  it('the client: connects, calls with typed results, reports state, rejects a dropped call with HOST_DISCONNECTED and reconnects on demand', async () => {
    const home = tempDir();
    const conn = new StdioConnection({
      argv: [process.execPath, BIN, 'serve', '--stdio', '--data-dir', home],
      name: 'local',
    });
    const states: string[] = [];
    conn.onState((s) => states.push(s));
    expect(conn.state).toBe('idle');
    const hello = await conn.connect();
    expect(hello.protocol).toBe(1);
    expect((await conn.call('getInfo', {})).home).toBe(home);
    await expect(conn.call('getComponent', { id: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The child killed outright while a call is open.
    const child = (conn as unknown as { child: { pid: number } }).child;
    const pendingCall = conn.call('listHistory', {});
    process.kill(child.pid, 'SIGKILL');
    await expect(pendingCall).rejects.toMatchObject({ code: 'HOST_DISCONNECTED' });
    expect(conn.state).toBe('disconnected');
    // The next call starts a new child.
    expect((await conn.call('getInfo', {})).home).toBe(home);
    expect(conn.state).toBe('connected');
    await conn.close();
    expect(states).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected', 'idle']);
  });

  it('a child that cannot start or ends before its hello fails with HOST_UNREACHABLE and what it said', async () => {
    const missing = new StdioConnection({ argv: ['/nonexistent/upkeep-binary'], name: 'ghost' });
    await expect(missing.connect()).rejects.toMatchObject({ code: 'HOST_UNREACHABLE' });
    expect(missing.state).toBe('failed');
    const quits = new StdioConnection({
      argv: [process.execPath, '-e', 'console.error("upkeep: command not found"); process.exit(127)'],
      name: 'pi',
    });
    const error = await quits.connect().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HOST_UNREACHABLE', message: expect.stringContaining('command not found') });
  });
});
