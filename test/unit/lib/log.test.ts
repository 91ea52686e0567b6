import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addLogSecret,
  fileSink,
  logger,
  setLogSink,
  streamSink,
  withRunLog,
  type LogRecord,
} from '../../../electron/core/lib/log';
import { RunLog } from '../../../electron/core/engine/run-log';
import { tempDir } from '../../helpers/temp';

const records = (file: string): LogRecord[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogRecord);

afterEach(() => void setLogSink(null));

describe('core logger', () => {
  it('writes structured records at or above the sink level into the host log file', () => {
    const file = path.join(tempDir(), 'logs', 'upkeep.log');
    setLogSink(fileSink(file, { level: 'info' }));
    const log = logger('test.scope');
    log.debug('not kept');
    log.info('kept', { component: 'app', count: 3 });
    log.error('failed', { error: new Error('disk on fire') });
    const got = records(file);
    expect(got.map((r) => [r.level, r.scope, r.message])).toEqual([
      ['info', 'test.scope', 'kept'],
      ['error', 'test.scope', 'failed'],
    ]);
    expect(got[0]?.fields).toEqual({ component: 'app', count: 3 });
    expect(got[1]?.fields).toEqual({ error: { message: 'disk on fire' } });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('never writes a secret: registered values, token-shaped words, secret-named fields and URL credentials are replaced', () => {
    const file = path.join(tempDir(), 'upkeep.log');
    setLogSink(fileSink(file));
    addLogSecret('s3cr3t-value-from-env');
    const token = `ghp_${'a1B2'.repeat(9)}`;
    logger('test').warn(`request failed with token=${token} and s3cr3t-value-from-env`, {
      url: 'https://user:pw@example.test/path?access_token=abc',
      token: 'plain-token-value',
      nested: { note: `Bearer ${token}`, api_key: 'k-12345' },
    });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain('s3cr3t-value-from-env');
    expect(text).not.toContain('plain-token-value');
    expect(text).not.toContain('k-12345');
    expect(text).not.toContain('access_token=abc');
    expect(text).not.toContain('user:pw');
    const [record] = records(file);
    expect(record?.message).toBe('request failed with token=[redacted] and ***');
    expect(record?.fields).toMatchObject({
      url: 'https://example.test/path',
      token: '[redacted]',
      nested: { api_key: '[redacted]' },
    });
  });

  it('rotates the file by size so the host log stays small', () => {
    const file = path.join(tempDir(), 'upkeep.log');
    setLogSink(fileSink(file, { maxBytes: 2_000 }));
    for (let i = 0; i < 60; i++) logger('test').info(`line ${i} ${'x'.repeat(40)}`);
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(statSync(file).size).toBeLessThanOrEqual(2_000);
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(2_000);
    expect(records(file).at(-1)?.message).toContain('line 59');
  });

  it("inside a run, records also go into that run's log (debug stays out)", () => {
    const logs = tempDir();
    const lines: string[] = [];
    const run = new RunLog(logs, 'run-1', 'app', (l) => lines.push(l.line));
    withRunLog(run, () => {
      logger('engine').warn('cache unreadable', { file: 'x.json' });
      logger('engine').debug('noise');
    });
    logger('engine').warn('outside the run');
    expect(lines).toEqual(['warn engine: cache unreadable (file=x.json)']);
    expect(readFileSync(run.file, 'utf8')).toContain('warn engine: cache unreadable');
  });

  it('the stream sink (stderr for hosts) prints only records at or above its level', () => {
    const out: string[] = [];
    setLogSink(streamSink((line) => out.push(line), 'warn'));
    logger('x').info('quiet');
    logger('x').warn('loud');
    expect(out).toEqual(['upkeep: warn x: loud\n']);
  });
});
