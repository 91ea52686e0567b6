import type { ApiImplementation, MethodName } from '../../shared/contract';
import type { CheckResult, SettingsView } from '../../shared/types';
import { COMPONENT_TEMPLATES } from '../../shared/templates';
import { importOctoprintConfig } from './config/octoprint';
import { discoveryDefaults } from './discovery/defaults';
import { discover } from './discovery/discover';
import { parseComponentsDocument, validateComponentsMapping } from './config/validate';
import { appPackage } from './lib/app-version';
import type { Services } from './services';
import { restoreWithHistory } from './backups/restore-history';
import { scheduleMethods } from './schedule/methods';
import { hostMethods } from './remote/methods';
import { fleetMethods } from './fleet';
import { redactWebhookUrls } from './notify/messages';
import { busyError, recoverInterrupted, recoveryFailure, type InProgress } from './recovery';

export const GITHUB_TOKEN_KEY = 'github_token';

/**
 * Methods that still answer while a recovery has failed: they neither read nor change a
 * component's folder or installed version, and they are how a person finds out what happened
 * and puts it right (history, run logs, backups and restoring one by hand).
 */
const ANSWER_AFTER_FAILED_RECOVERY: ReadonlySet<MethodName> = new Set<MethodName>([
  'getInfo',
  'getSettings',
  'listHistory',
  'getRun',
  'getRunLog',
  // A run in progress elsewhere is stopped and rolled back by its own process: nothing here reads the folder.
  'cancelUpdate',
  'listBackups',
  'getBackup',
  'verifyBackup',
  'restoreBackup',
  'listTemplates',
  'getDiscoveryDefaults',
  'listHosts',
  'addHost',
  'removeHost',
  'testHost',
]);

/**
 * The one map from contract methods to services (ARCHITECTURE.md §2). Requests arrive validated
 * (invokeMethod); this is the only place that knows which service answers which method.
 * Every method first finishes what a killed process left (recoverInterrupted), so no host, CLI
 * command or first call answers on a half-updated folder.
 */
export function createApi(services: Services): ApiImplementation {
  const api: ApiImplementation = gatedOnRecovery(services, {
    ...methods(services),
    ...fleetMethods(services, () => api),
  });
  return api;
}

/** Every method waits for recovery; a failed one is reported (RECOVERY_FAILED) instead of answering on what it left. */
function gatedOnRecovery(services: Services, api: ApiImplementation): ApiImplementation {
  const gated: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(api) as [
    MethodName,
    (request: unknown, ctx: unknown) => Promise<unknown>,
  ][]) {
    gated[name] = async (request: unknown, ctx: unknown) => {
      const failure = recoveryFailure(await recoverInterrupted(services));
      if (failure && !ANSWER_AFTER_FAILED_RECOVERY.has(name)) throw failure;
      return method(request, ctx);
    };
  }
  return gated as ApiImplementation;
}

/** A check of a component a live process is changing says so, never what the half-changed folder shows. */
function busyCheck(services: Services, busy: InProgress): CheckResult {
  const component = services.components.get(busy.component);
  return {
    id: component.id,
    name: component.name,
    installed: null,
    latest: null,
    update_available: false,
    channel: component.channel,
    checked_at: null,
    explanation: null,
    error: busyError(busy),
  };
}

async function inProgress(services: Services): Promise<Map<string, InProgress>> {
  return new Map((await recoverInterrupted(services)).busy.map((b) => [b.component, b]));
}

function methods(services: Services): Omit<ApiImplementation, 'startRollout'> {
  return {
    ...updateMethods(services),
    ...componentMethods(services),
    ...settingsMethods(services),
    ...backupMethods(services),
    ...checkMethods(services),
    ...scheduleMethods(services),
    ...hostMethods(services),
  };
}

/** The contract methods for update runs, their history and logs. */
function updateMethods(
  services: Services,
): Pick<
  ApiImplementation,
  'updateComponents' | 'rollbackUpdate' | 'cancelUpdate' | 'listHistory' | 'getRun' | 'getRunLog' | 'resolveAttention'
> {
  return {
    async updateComponents({ ids, force, noBackup, stopOnFailure, packages, downgrade }, ctx) {
      const results = await services.updates.updateComponents(ids, {
        ...(packages ? { packages } : {}),
        ...(downgrade ? { downgrade: true } : {}),
        force: force ?? false,
        noBackup: noBackup ?? false,
        stopOnFailure: stopOnFailure ?? false,
        initiatedBy: ctx.initiatedBy,
      });
      return { results };
    },

    async rollbackUpdate({ component, to, history_id }, ctx) {
      return services.updates.rollback({
        component,
        ...(to !== undefined ? { to } : {}),
        ...(history_id !== undefined ? { historyId: history_id } : {}),
        initiatedBy: ctx.initiatedBy,
      });
    },

    async cancelUpdate({ id }, ctx) {
      return services.updates.cancel(id, `from the ${ctx.initiatedBy === 'cli' ? 'command line' : ctx.initiatedBy}`);
    },

    async listHistory({ component, limit }) {
      return {
        entries: await services.updates.listHistory({
          ...(component !== undefined ? { component } : {}),
          ...(limit !== undefined ? { limit } : {}),
        }),
      };
    },

    async getRun({ run_id }) {
      return services.updates.getRun(run_id);
    },

    async getRunLog({ run_id, offset, limit }) {
      return services.updates.getRunLog(run_id, {
        ...(offset !== undefined ? { offset } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
    },

    async resolveAttention({ id }) {
      return services.updates.resolveAttention(id);
    },
  };
}

/** The contract methods for the app, the components and finding new ones. */
function componentMethods(
  services: Services,
): Pick<
  ApiImplementation,
  | 'getInfo'
  | 'listComponents'
  | 'getComponent'
  | 'addComponents'
  | 'updateComponent'
  | 'removeComponent'
  | 'importOctoprint'
  | 'discover'
  | 'listTemplates'
  | 'getDiscoveryDefaults'
> {
  const { components, events } = services;
  return {
    async getInfo(_req, ctx) {
      return {
        version: appPackage().version,
        home: services.layout.home,
        host: services.host,
        platform: process.platform,
        read_only: ctx.readOnly,
      };
    },

    async listComponents() {
      return components.list();
    },

    async getComponent({ id }) {
      return components.get(id);
    },

    async addComponents({ text, components: mapping, replace, source }) {
      // Errors name where the text came from (the CLI's file), then the key: `shop.yaml: components.web.user: …`.
      const parsed =
        text !== undefined
          ? parseComponentsDocument(text, source ?? 'the document')
          : validateComponentsMapping(mapping, 'the request');
      const result = components.add(parsed, { replace: replace ?? false });
      events.emit('components_changed', { ids: [...result.added, ...result.replaced] });
      return result;
    },

    async updateComponent({ id, config }) {
      const component = components.update(id, config);
      events.emit('components_changed', { ids: [id] });
      return component;
    },

    async removeComponent({ id }) {
      components.remove(id);
      await services.holds.remove(id);
      events.emit('components_changed', { ids: [id] });
      return { removed: id };
    },

    async importOctoprint({ text, replace }) {
      const imported = importOctoprintConfig(text);
      const result = Object.keys(imported.components).length
        ? components.add(imported.components, { replace: replace ?? false })
        : { added: [], replaced: [] };
      events.emit('components_changed', { ids: [...result.added, ...result.replaced] });
      return { ...result, skipped: imported.skipped };
    },

    async discover(request) {
      return discover(request, components.list().components);
    },

    async listTemplates() {
      return { templates: [...COMPONENT_TEMPLATES] };
    },

    async getDiscoveryDefaults() {
      return discoveryDefaults();
    },
  };
}

/** The contract methods for settings and the GitHub token. */
function settingsMethods(services: Services): Pick<ApiImplementation, 'getSettings' | 'setSettings'> {
  const { settings, secrets, events } = services;
  const settingsView = (): SettingsView => ({
    settings: settings.get(),
    github_token_set: secrets.has(GITHUB_TOKEN_KEY),
    secret_storage: secrets.protection,
    secret_storage_warning:
      services.host === 'desktop' && secrets.protection === 'file'
        ? 'No OS keychain is available (Electron reports plain-text storage), so the GitHub token is kept in a file only your user can read (0600), not encrypted.'
        : null,
  });

  return {
    async getSettings(_req, ctx) {
      return ctx.readOnly ? redactWebhookUrls(settingsView()) : settingsView();
    },

    async setSettings({ patch, github_token }) {
      if (patch && Object.keys(patch).length > 0) settings.set(patch);
      if (github_token !== undefined) await secrets.set(GITHUB_TOKEN_KEY, github_token);
      events.emit('settings_changed', {});
      return settingsView();
    },
  };
}

/** The contract methods for backups. */
function backupMethods(
  services: Services,
): Pick<
  ApiImplementation,
  'createBackup' | 'listBackups' | 'getBackup' | 'verifyBackup' | 'restoreBackup' | 'deleteBackup' | 'pinBackup'
> {
  return {
    async createBackup({ component, type, name, description, include_logs, compress, pinned }) {
      return services.backups.create({
        component,
        reason: 'manual',
        ...(type !== undefined ? { type } : {}),
        ...(name !== undefined ? { name } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(include_logs !== undefined ? { includeLogs: include_logs } : {}),
        ...(compress !== undefined ? { compress } : {}),
        ...(pinned !== undefined ? { pinned } : {}),
      });
    },

    async listBackups(filter) {
      return services.backups.list(filter);
    },

    async getBackup({ id }) {
      return services.backups.get(id);
    },

    async verifyBackup({ id }) {
      return services.backups.verify(id);
    },

    async restoreBackup({ id, type, safety_backup }, ctx) {
      return restoreWithHistory(
        services,
        {
          backupId: id,
          ...(type !== undefined ? { type } : {}),
          ...(safety_backup !== undefined ? { safetyBackup: safety_backup } : {}),
        },
        ctx.initiatedBy,
      );
    },

    async deleteBackup({ id }) {
      return services.backups.delete(id);
    },

    async pinBackup({ id, pinned }) {
      return services.backups.pin(id, pinned);
    },
  };
}

/** The contract methods for version checks, channels, skipped versions and holds. */
function checkMethods(
  services: Services,
): Pick<
  ApiImplementation,
  'checkComponents' | 'getCheckResults' | 'listChannels' | 'setChannel' | 'skipVersion' | 'holdComponent'
> {
  const { components, events } = services;
  return {
    async checkComponents({ ids, force, downgrade }) {
      const options = { force: force ?? false, downgrade: downgrade ?? false };
      const busy = await inProgress(services);
      if (busy.size === 0) return { components: await services.checks.check(ids, options) };
      // What a live process is changing is reported as busy; only the others are checked.
      const wanted = ids?.length ? [...new Set(ids)] : components.list().components.map((c) => c.id);
      const free = wanted.filter((id) => !busy.has(id));
      const checked = free.length ? await services.checks.check(free, options) : [];
      const byId = new Map(checked.map((r) => [r.id, r]));
      return {
        components: wanted.flatMap((id) => {
          const running = busy.get(id);
          const result = byId.get(id) ?? (running ? busyCheck(services, running) : undefined);
          return result ? [result] : [];
        }),
      };
    },

    async getCheckResults({ ids }) {
      const busy = await inProgress(services);
      return {
        components: services.checks.cached(ids).map((r) => {
          const running = busy.get(r.id);
          return running ? busyCheck(services, running) : r;
        }),
      };
    },

    async listChannels({ id }) {
      return services.checks.listChannels(id);
    },

    async setChannel({ id, channel }) {
      return services.checks.setChannel(id, channel);
    },

    async skipVersion({ id, version }) {
      const choices = await services.checks.skipVersion(id, version);
      events.emit('components_changed', { ids: [id] });
      events.emit('schedule_changed', { ids: [id] });
      return choices;
    },

    async holdComponent({ id, hold }) {
      const choices = await services.checks.holdComponent(id, hold);
      events.emit('components_changed', { ids: [id] });
      events.emit('schedule_changed', { ids: [id] });
      return choices;
    },
  };
}
