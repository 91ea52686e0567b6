import type { ApiImplementation } from '../../../shared/contract';
import { UpkeepError } from '../../../shared/errors';
import type { ComponentConfig } from '../../../shared/schemas/component';
import type { StatusView } from '../../../shared/types';
import type { Services } from '../services';
import { sendTestNotifications } from '../notify/notifier';
import { assertAutoUpdate } from './policy';
import { recoverInterrupted } from '../recovery';
import { buildStatus } from './status';
import { schedulerFor } from './wiring';

type ScheduleMethods = Pick<ApiImplementation, 'getStatus' | 'getSchedule' | 'setSchedule' | 'runDue' | 'testWebhooks'>;

/** What this process has learnt of the GitHub API's request budget (from the checks' HTTP client). */
export function githubBudget(services: Pick<Services, 'checks' | 'settings'>): StatusView['github_rate_limit'] {
  try {
    const host = new URL(services.settings.get().github_api_base).host;
    const snap = services.checks.http.budget.snapshot(host);
    if (snap.remaining === undefined) return null;
    return {
      host,
      remaining: snap.remaining,
      reset_at: snap.resetAt !== undefined ? new Date(snap.resetAt).toISOString() : null,
    };
  } catch {
    // An unparsable API base: the budget is unknown and shown as unknown (null).
    return null;
  }
}

/** The contract methods for schedules and status (spread into createApi). */
export function scheduleMethods(services: Services): ScheduleMethods {
  const scheduler = () => schedulerFor(services);
  return {
    async getStatus() {
      const s = scheduler();
      const status = await buildStatus({
        scheduler: s,
        history: services.updates.history,
        layout: services.layout,
        githubBudget: () => githubBudget(services),
        now: Date.now(),
      });
      // A component a live process is changing says so (the engine recovered everything else first),
      // and one its last run left needing a person says that, until it is resolved.
      const busy = new Map((await recoverInterrupted(services)).busy.map((b) => [b.component, b]));
      const attention = await services.updates.attentionOpen();
      if (busy.size === 0 && attention.size === 0) return status;
      return {
        ...status,
        components: status.components.map((c) => {
          const b = busy.get(c.id);
          const a = attention.get(c.id);
          return {
            ...c,
            ...(b ? { in_progress: { kind: b.kind, pid: b.pid, run_id: b.run_id, step: b.step } } : {}),
            ...(a?.needs_attention
              ? {
                  attention: {
                    run_id: a.id,
                    reason: a.needs_attention.reason,
                    action: a.needs_attention.action,
                    since: a.finished_at,
                  },
                }
              : {}),
          };
        }),
      };
    },

    async getSchedule({ id }) {
      if (id !== undefined) services.components.get(id);
      return scheduler().view(undefined, id);
    },

    async setSchedule({ id, auto_update }) {
      const component = services.components.get(id);
      const merged: Record<string, unknown> = { ...(component.config.auto_update ?? { enabled: false }) };
      for (const [key, value] of Object.entries(auto_update)) {
        if (value === undefined) continue;
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      assertAutoUpdate({
        window: typeof merged.window === 'string' ? merged.window : undefined,
        min_release_age: typeof merged.min_release_age === 'string' ? merged.min_release_age : undefined,
      });
      services.components.patch(id, { auto_update: merged as ComponentConfig['auto_update'] });
      services.events.emit('components_changed', { ids: [id] });
      services.events.emit('schedule_changed', { ids: [id] });
      const view = await scheduler().view(undefined, id);
      const entry = view.components[0];
      if (!entry)
        throw new UpkeepError('NOT_FOUND', `No component "${id}". The component list shows the ids.`, {
          id,
          kind: 'component',
        });
      return entry;
    },

    async runDue() {
      return scheduler().runDue();
    },

    async testWebhooks({ index }) {
      const all = services.settings.get().webhooks ?? [];
      if (all.length === 0)
        throw new UpkeepError(
          'NOT_FOUND',
          'No webhooks are set up. Add one in Settings (webhooks: [{url, format: json|discord|slack}]).',
        );
      const picked = index === undefined ? undefined : all[index];
      if (index !== undefined && picked === undefined) {
        throw new UpkeepError(
          'NOT_FOUND',
          `There is no webhook ${index}; there are ${all.length} (0–${all.length - 1}).`,
          { index },
        );
      }
      const chosen = picked === undefined ? all : [picked];
      return { deliveries: await sendTestNotifications(chosen) };
    },
  };
}
