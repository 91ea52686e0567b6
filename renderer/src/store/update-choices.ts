import type { StoreApi } from 'zustand';
import type { Api } from '../../../shared/contract';
import { toErrorShape } from '../api';
import type { AppState } from './types';
import type { UpdatesSlice } from './updates-slice';

// The updates slice's choices about updates (updates-slice.ts): schedules, skipped versions, holds.

type SetState = StoreApi<AppState>['setState'];
type GetState = StoreApi<AppState>['getState'];

/** Automatic updates per component: load them, change one. */
export function scheduleActions(
  api: Api,
  set: SetState,
  get: GetState,
): Pick<UpdatesSlice, 'loadSchedules' | 'saveSchedule'> {
  return {
    async loadSchedules() {
      try {
        const view = await api.getSchedule({});
        set({ schedules: Object.fromEntries(view.components.map((c) => [c.id, c])) });
      } catch {
        // Without schedules rows simply do not show "Held".
      }
    },

    async saveSchedule(id, autoUpdate) {
      try {
        const schedule = await api.setSchedule({ id, auto_update: autoUpdate });
        set((s) => ({ schedules: { ...s.schedules, [id]: schedule } }));
        get().announce(
          `${schedule.name}: ${schedule.policy === 'auto' ? `updates install automatically (${schedule.window_description})` : 'updates wait for you'}.`,
          'success',
        );
        return null;
      } catch (error) {
        const shape = toErrorShape(error);
        get().announce(`Schedule not saved: ${shape.message} (${shape.code})`, 'error');
        return shape;
      }
    },
  };
}

/** Skip a version, hold a component: each answered with the rebuilt check result. */
export function versionChoiceActions(api: Api, get: GetState): Pick<UpdatesSlice, 'skipVersion' | 'holdComponent'> {
  return {
    async skipVersion(id, version) {
      const name = get().components.find((c) => c.id === id)?.name ?? id;
      const before = get().checks[id]?.skipped_version ?? null;
      try {
        const choices = await api.skipVersion({ id, version });
        if (choices.result) get().checkReceived(choices.result);
        get().announce(
          version === null
            ? `${name}: ${before ?? 'the latest version'} is no longer skipped${choices.result?.update_available ? ' and is offered again' : ''}.`
            : `${name}: ${version} skipped. A newer version will be offered again.`,
          'success',
        );
      } catch (error) {
        get().reportError(
          version === null ? `Could not unskip ${name}` : `Could not skip ${version} of ${name}`,
          toErrorShape(error),
        );
      }
    },

    async holdComponent(id, hold) {
      const name = get().components.find((c) => c.id === id)?.name ?? id;
      try {
        const choices = await api.holdComponent({ id, hold });
        if (choices.result) get().checkReceived(choices.result);
        get().announce(
          hold
            ? `${name} is held at ${choices.held_version ?? 'its installed version'}: Update all and automatic updates leave it alone.`
            : `${name} is released: its updates install again.`,
          'success',
        );
      } catch (error) {
        get().reportError(hold ? `Could not hold ${name}` : `Could not release ${name}`, toErrorShape(error));
      }
    },
  };
}
