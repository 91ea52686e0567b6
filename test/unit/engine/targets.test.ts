import { afterEach, describe, expect, it } from 'vitest';
import { validateComponent } from '../../../electron/core/config/validate';
import { createServices, type Services } from '../../../electron/core/services';
import { tempDir } from '../../helpers/temp';

let services: Services | undefined;
afterEach(() => {
  services = undefined;
});

function setup(): Services {
  const home = tempDir();
  const s = createServices({ home, host: 'http' });
  s.settings.set({ min_free_space_mb: 1 });
  // never_current always offers 1.0.0 → 1.0.1: enough to drive the sequencer with real methods.
  s.components.add({
    upkeep: validateComponent('upkeep', { name: 'Upkeep', type: 'never_current', method: 'sleep_a_bit', duration: 0 }),
    alpha: validateComponent('alpha', { name: 'Alpha', type: 'never_current', method: 'sleep_a_bit', duration: 0 }),
    broken: validateComponent('broken', {
      name: 'Broken',
      type: 'never_current',
      method: 'update_script',
      update_script: ['node', '-e', 'process.exit(4)'],
    }),
    zeta: validateComponent('zeta', { name: 'Zeta', type: 'never_current', method: 'sleep_a_bit', duration: 0 }),
    watch: validateComponent('watch', { name: 'Only watched', type: 'never_current' }),
  });
  return s;
}

function order(s: Services): string[] {
  const seen: string[] = [];
  s.events.on('update_progress', (p) => {
    if (!seen.includes(p.component)) seen.push(p.component);
  });
  return seen;
}

describe('several targets', () => {
  it('run one after another, a failure does not stop the rest, Upkeep itself goes last', async () => {
    services = setup();
    const seen = order(services);
    const results = await services.updates.updateComponents(['upkeep', 'broken', 'alpha', 'zeta'], {
      initiatedBy: 'schedule',
    });
    expect(seen).toEqual(['broken', 'alpha', 'zeta', 'upkeep']);
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['broken', 'failed'],
      ['alpha', 'succeeded'],
      ['zeta', 'succeeded'],
      ['upkeep', 'succeeded'],
    ]);
    expect(results[0]?.error).toMatchObject({
      code: 'COMMAND_FAILED',
      message: expect.stringContaining('exited with code 4'),
    });
    const history = await services.updates.listHistory();
    expect(history).toHaveLength(4);
    expect(new Set(history.map((h) => h.initiated_by))).toEqual(new Set(['schedule']));
  });

  it('stop at the first failure when asked', async () => {
    services = setup();
    const results = await services.updates.updateComponents(['broken', 'alpha'], {
      initiatedBy: 'cli',
      stopOnFailure: true,
    });
    expect(results.map((r) => r.id)).toEqual(['broken']);
  });

  it('with no ids: every component with an update method; a component without one is never touched', async () => {
    services = setup();
    const results = await services.updates.updateComponents(undefined, { initiatedBy: 'cli' });
    expect(results.map((r) => r.id)).toEqual(['alpha', 'broken', 'zeta', 'upkeep']);
    const [watched] = await services.updates.updateComponents(['watch'], { initiatedBy: 'cli' });
    expect(watched).toMatchObject({ status: 'skipped', error: { code: 'UNSUPPORTED' } });
    const [missing] = await services.updates.updateComponents(['nope'], { initiatedBy: 'cli' });
    expect(missing).toMatchObject({ status: 'failed', error: { code: 'NOT_FOUND' } });
  });
});
