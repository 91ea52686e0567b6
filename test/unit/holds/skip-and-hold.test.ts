import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApi } from '../../../electron/core/api';
import { schedulerFor } from '../../../electron/core/schedule/wiring';
import {
  invokeMethod,
  type CallContext,
  type MethodName,
  type RequestOf,
  type ResponseOf,
} from '../../../shared/contract';
import type { CheckResult } from '../../../shared/types';
import { sourceTarball } from '../../fixtures/releases/tree';
import { OWNER, releaseFiles, releaseScenario, REPO, type Scenario } from '../engine/scenario';

const panel: CallContext = { initiatedBy: 'panel', readOnly: false };
let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.cleanup();
  scenario = undefined;
});

async function setup(config: Record<string, unknown> = {}) {
  scenario = await releaseScenario({ config });
  const s = scenario;
  const api = createApi(s.services);
  // Through the contract, as every host calls it (request validation included).
  const call = async <M extends MethodName>(method: M, request: RequestOf<M>) =>
    (await invokeMethod(api, method, request, panel)) as ResponseOf<M>;
  const check = async (force = true): Promise<CheckResult> => {
    const { components } = await call('checkComponents', { ids: ['webapp'], force });
    return components[0] as CheckResult;
  };
  const version = () => readFileSync(path.join(s.folder, 'VERSION'), 'utf8').trim();
  const publish = (v: string) =>
    s.gh.addRelease(OWNER, REPO, {
      tag_name: `v${v}`,
      tarball: sourceTarball(`${OWNER}-${REPO}-${v}`, releaseFiles(v)),
    });
  return { s, call, check, version, publish };
}

describe('Skip this version', () => {
  it('offers no update for the skipped version, says why, and offers a newer one again', async () => {
    const { s, call, check, publish } = await setup();
    const before = await check();
    expect(before).toMatchObject({
      installed: '1.0.0',
      latest: '1.1.0',
      update_available: true,
      skipped_version: null,
    });

    const events: CheckResult[] = [];
    s.services.events.on('check_result', ({ result }) => void events.push(result));
    const choices = await call('skipVersion', { id: 'webapp', version: '1.1.0' });
    expect(choices).toMatchObject({ skipped_version: '1.1.0', held: false });
    // The cached result is rebuilt at once (no network) and pushed to the panel.
    expect(choices.result).toMatchObject({
      latest: '1.1.0',
      update_available: false,
      skipped_version: '1.1.0',
      from_cache: true,
    });
    expect(events.at(-1)).toMatchObject({ id: 'webapp', update_available: false });

    const skipped = await check();
    expect(skipped).toMatchObject({ latest: '1.1.0', update_available: false, skipped_version: '1.1.0' });
    expect(skipped.explanation).toBe('1.1.0 skipped (you chose to skip this version)');
    // From the cache too (what the panel paints first).
    expect((await call('getCheckResults', { ids: ['webapp'] })).components[0]).toMatchObject({
      update_available: false,
      skipped_version: '1.1.0',
    });

    publish('1.2.0');
    const newer = await check();
    expect(newer).toMatchObject({ latest: '1.2.0', update_available: true, skipped_version: null });
    // The skip is superseded and forgotten: going back to 1.1.0 would not be hidden either.
    expect(s.services.holds.get('webapp')?.skip_version).toBeUndefined();
  });

  it('an update asked for by id says the version is skipped; --force installs it; unskip brings the update back', async () => {
    const { call, check, version } = await setup();
    await check();
    await call('skipVersion', { id: 'webapp', version: '1.1.0' });

    const implicit = await call('updateComponents', {});
    expect(implicit.results).toEqual([expect.objectContaining({ id: 'webapp', status: 'skipped', error: null })]);
    const refused = await call('updateComponents', { ids: ['webapp'] });
    expect(refused.results[0]).toMatchObject({ status: 'skipped', error: { code: 'NO_UPDATE' } });
    expect(refused.results[0]?.error?.message).toMatch(/1\.1\.0 of Web App is skipped/);
    expect(version()).toBe('1.0.0');

    const cleared = await call('skipVersion', { id: 'webapp', version: null });
    expect(cleared.result).toMatchObject({ update_available: true, skipped_version: null });
    await call('skipVersion', { id: 'webapp', version: '1.1.0' });
    const forced = await call('updateComponents', { ids: ['webapp'], force: true });
    expect(forced.results[0]).toMatchObject({ status: 'succeeded', from: '1.0.0', to: '1.1.0' });
    expect(version()).toBe('1.1.0');
  });

  it('refuses to skip the installed version and unknown components', async () => {
    const { call, check } = await setup();
    await check();
    await expect(call('skipVersion', { id: 'webapp', version: '1.0.0' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    await expect(call('skipVersion', { id: 'nope', version: '1.1.0' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('Hold', () => {
  it('keeps showing the newer version while Update all and the scheduler leave the component alone', async () => {
    const { s, call, check, version } = await setup({ auto_update: { enabled: true, window: 'always' } });
    await check();
    const held = await call('holdComponent', { id: 'webapp', hold: true });
    expect(held).toMatchObject({ held: true, held_version: '1.0.0' });
    expect(held.result).toMatchObject({ held: true, held_version: '1.0.0', update_available: true, latest: '1.1.0' });
    expect(held.result?.explanation).toMatch(/held at 1\.0\.0/);

    const all = await call('updateComponents', {});
    expect(all.results).toEqual([
      expect.objectContaining({
        id: 'webapp',
        status: 'skipped',
        error: expect.objectContaining({ code: 'UPDATE_HELD' }),
      }),
    ]);
    expect(version()).toBe('1.0.0');

    const pass = await schedulerFor(s.services).runDue();
    expect(pass.updated).toEqual([]);
    expect(pass.deferred).toEqual([expect.objectContaining({ component: 'webapp', reason: 'held', target: '1.1.0' })]);
    // Decided by the scheduler itself, not learnt from a refused run.
    expect(pass.deferred[0]?.message).toBe(
      'Web App is held at 1.0.0, so 1.1.0 is not installed automatically. Release the hold to let it update.',
    );
    expect(s.events.some((e) => e.event === 'update_progress')).toBe(false);
    expect(version()).toBe('1.0.0');

    // Released: the very same pass now installs it (the control that shows the hold did the work).
    await call('holdComponent', { id: 'webapp', hold: false });
    const next = await schedulerFor(s.services).runDue();
    expect(next.updated).toEqual([expect.objectContaining({ id: 'webapp', status: 'succeeded', to: '1.1.0' })]);
    expect(version()).toBe('1.1.0');
  });

  it('refuses an explicit update with UPDATE_HELD unless forced', async () => {
    const { call, check, version } = await setup();
    await check();
    await call('holdComponent', { id: 'webapp', hold: true });
    const refused = await call('updateComponents', { ids: ['webapp'] });
    expect(refused.results[0]).toMatchObject({ status: 'failed', from: '1.0.0', error: { code: 'UPDATE_HELD' } });
    // Core speaks of the action; each host words it (the CLI its flag, the panel its button).
    expect(refused.results[0]?.error).toMatchObject({
      message: 'Web App is held at 1.0.0; release the hold first, or force the update of it by id.',
      action: 'release_hold',
    });
    expect(version()).toBe('1.0.0');

    const forced = await call('updateComponents', { ids: ['webapp'], force: true });
    expect(forced.results[0]).toMatchObject({ status: 'succeeded', to: '1.1.0' });
    expect(version()).toBe('1.1.0');
  });

  it('is kept in holds.json and release undoes it', async () => {
    const { s, call, check } = await setup();
    await check();
    await call('holdComponent', { id: 'webapp', hold: true });
    const file = JSON.parse(readFileSync(path.join(s.home, 'holds.json'), 'utf8')) as {
      components: Record<string, { held?: { version: string } }>;
    };
    expect(file.components.webapp?.held?.version).toBe('1.0.0');
    const released = await call('holdComponent', { id: 'webapp', hold: false });
    expect(released).toMatchObject({ held: false, held_version: null });
    expect(released.result).toMatchObject({ held: false, update_available: true });
    expect((await check(false)).explanation).not.toMatch(/held/);
  });

  it('is forgotten with the component, and refused for a component Upkeep cannot update', async () => {
    const { s, call, check } = await setup();
    await check();
    await call('holdComponent', { id: 'webapp', hold: true });
    await call('skipVersion', { id: 'webapp', version: '1.1.0' });
    await call('removeComponent', { id: 'webapp' });
    expect(s.services.holds.get('webapp')).toBeUndefined();
    await call('addComponents', {
      components: {
        watch: { type: 'github_release', user: OWNER, repo: REPO, api_base: s.gh.apiBase, current: '1.0.0' },
      },
    });
    await expect(call('holdComponent', { id: 'watch', hold: true })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});
