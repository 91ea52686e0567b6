import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../../electron/core/api';
import { buildCli, upkeepAsync } from '../../helpers/cli';
import { releaseScenario, type Scenario } from './scenario';

const cli = (home: string, ...args: string[]) => upkeepAsync(['--home', home, ...args]);

/**
 * A failed automatic rollback is not forgotten: the component needs attention — in status, the CLI
 * and History — until a person resolves it or a later run succeeds.
 */

describe('needs attention', () => {
  let s: Scenario;
  beforeAll(() => buildCli());
  afterEach(async () => {
    await s?.cleanup();
  });

  /** The install step removes the pre-update backup and fails: the automatic rollback has nothing to restore. */
  async function failedRollback(): Promise<Scenario> {
    const scenario = await releaseScenario();
    const backups = path.join(scenario.home, 'backups', 'webapp');
    scenario.services.components.add(
      {
        webapp: {
          ...scenario.services.components.get('webapp').config,
          install: [
            [
              'node',
              '-e',
              `require('fs').rmSync(${JSON.stringify(backups)}, { recursive: true, force: true }); process.exit(1)`,
            ],
          ],
        },
      },
      { replace: true },
    );
    return scenario;
  }

  it('keeps a failed rollback in status and History, with the reason and what to do, until resolved', async () => {
    s = await failedRollback();
    const api = createApi(s.services);
    const ctx = { initiatedBy: 'cli' as const, readOnly: false };
    await api.checkComponents({ ids: ['webapp'], force: true }, ctx);
    const { results } = await api.updateComponents({ ids: ['webapp'] }, ctx);
    expect(results[0]?.status).toBe('failed');

    const { entries } = await api.listHistory({}, ctx);
    expect(entries[0]).toMatchObject({
      status: 'failed',
      attention_open: true,
      needs_attention: {
        reason: expect.stringContaining('failed after changing the component'),
        action: expect.stringContaining('mark it resolved'),
      },
    });

    // status, as JSON and as text, says so (a new process: nothing kept in memory).
    const status = await cli(s.home, '--json', 'status');
    const row = (
      JSON.parse(status.stdout) as { components: { id: string; attention?: { run_id: string; reason: string } }[] }
    ).components.find((c) => c.id === 'webapp');
    expect(row?.attention?.run_id).toBe(entries[0]?.id);
    const text = await cli(s.home, 'status');
    expect(text.stdout).toContain('(NEEDS ATTENTION)');
    expect(text.stdout).toContain('webapp needs attention: The update failed after changing the component');
    expect(text.stdout).toContain('upkeep resolve webapp');

    // Resolved by a person: no longer said, and resolving again says there is nothing to resolve.
    const resolved = await cli(s.home, 'resolve', 'webapp');
    expect(resolved.code, resolved.stderr).toBe(0);
    expect((await cli(s.home, 'status')).stdout).not.toContain('NEEDS ATTENTION');
    expect((await api.listHistory({}, ctx)).entries[0]?.attention_open).toBeUndefined();
    const again = await cli(s.home, '--json', 'resolve', 'webapp');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('is closed by a later run that succeeds', async () => {
    s = await failedRollback();
    const api = createApi(s.services);
    const ctx = { initiatedBy: 'cli' as const, readOnly: false };
    await api.checkComponents({ ids: ['webapp'], force: true }, ctx);
    await api.updateComponents({ ids: ['webapp'] }, ctx);
    expect((await s.services.updates.attentionOpen()).has('webapp')).toBe(true);
    // Fixed by hand (the install step no longer fails), then updated again with --force.
    const config = { ...s.services.components.get('webapp').config };
    delete (config as { install?: unknown }).install;
    s.services.components.add({ webapp: config }, { replace: true });
    const { results } = await api.updateComponents({ ids: ['webapp'], force: true }, ctx);
    expect(results[0]?.status).toBe('succeeded');
    expect((await s.services.updates.attentionOpen()).has('webapp')).toBe(false);
  });

  it('is not opened by an update whose automatic rollback worked', async () => {
    s = await releaseScenario({ config: { install: [['node', '-e', 'process.exit(1)']] } });
    const api = createApi(s.services);
    const ctx = { initiatedBy: 'cli' as const, readOnly: false };
    await api.checkComponents({ ids: ['webapp'], force: true }, ctx);
    const { results } = await api.updateComponents({ ids: ['webapp'] }, ctx);
    expect(results[0]?.status).toBe('rolled_back');
    expect((await api.listHistory({}, ctx)).entries[0]?.needs_attention).toBeUndefined();
    expect((await s.services.updates.attentionOpen()).size).toBe(0);
  });
});
