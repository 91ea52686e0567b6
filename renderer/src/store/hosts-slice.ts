import type { HostEvent } from '../../../shared/contract';
import type { CheckResult, Component, ErrorShape, UpdateProgress } from '../../../shared/types';
import type { HostTestResult } from '../../../shared/schemas/host';
import type { HostStateEvent, RolloutProgress, RolloutResult } from '../../../shared/types/fleet';
import { toErrorShape, type Client } from '../api';
import type { LoadStatus, SliceCreator } from './types';

/** This computer, wherever a host is named (the engine's name for it too). */
export const LOCAL = 'local';
/** The "All hosts" choice of the host switcher. */
export const ALL_HOSTS = '*';

/** A registered remote host, as listHosts describes it. */
export interface HostEntry {
  name: string;
  ssh: string;
}

/** What the panel knows of one host in the All hosts view. */
export interface HostSnapshot {
  status: LoadStatus;
  components: Component[];
  checks: Record<string, CheckResult>;
  /** Why it could not be read (HOST_UNREACHABLE, HOST_KEY_UNKNOWN with details.fingerprint …). */
  error: ErrorShape | null;
  /** Live update progress, by component id. */
  progress: Record<string, UpdateProgress>;
  /** An action this panel started and is waiting on, by component id. */
  busy: Record<string, 'update' | 'check'>;
}

export interface RolloutRun {
  component: string;
  running: boolean;
  progress: RolloutProgress[];
  result: RolloutResult | null;
  error: ErrorShape | null;
}

export interface HostsSlice {
  hosts: HostEntry[];
  hostsStatus: LoadStatus;
  hostsError: ErrorShape | null;
  /** Which host the panel shows: LOCAL, a host's name, or ALL_HOSTS. */
  hostScope: string;
  fleet: Record<string, HostSnapshot>;
  /** The last test of each host (testHost): ok, or the error. */
  hostTests: Record<string, { ok: boolean; error: ErrorShape | null; detail: string | null }>;
  rollout: RolloutRun | null;
  loadHosts(): Promise<void>;
  setHostScope(scope: string): Promise<void>;
  loadFleet(): Promise<void>;
  loadHostSnapshot(host: string): Promise<void>;
  fleetUpdate(host: string, id: string): Promise<void>;
  fleetCheck(host: string, id: string): Promise<void>;
  hostEventReceived(event: HostEvent | { host: string; event: HostEvent['event']; payload: unknown }): void;
  hostStateChanged(event: HostStateEvent): void;
  addHost(request: {
    name: string;
    ssh: string;
    port?: number;
    identity?: string;
    known_hosts?: string;
    remote_upkeep?: string;
  }): Promise<ErrorShape | null>;
  testHost(name: string): Promise<void>;
  removeHost(name: string): Promise<ErrorShape | null>;
  startRollout(request: { component: string; canary: string; hosts: string[] }): Promise<void>;
  rolloutProgressed(progress: RolloutProgress): void;
}

const emptySnapshot = (): HostSnapshot => ({
  status: 'loading',
  components: [],
  checks: {},
  error: null,
  progress: {},
  busy: {},
});

/** The client the rest of the store uses: its calls go to the host the switcher shows. */
export function routedClient(client: Client, target: { host: string | null }): Client {
  const api = new Proxy({} as Client['api'], {
    get(_target, name) {
      if (typeof name !== 'string' || name === 'then') return undefined;
      return (request: unknown) =>
        (client.forHost(target.host) as unknown as Record<string, (r: unknown) => Promise<unknown>>)[name]?.(request);
    },
  });
  return { ...client, api };
}

type SliceSet = Parameters<ReturnType<SliceCreator<HostsSlice>>>[0];
type SliceGet = Parameters<ReturnType<SliceCreator<HostsSlice>>>[1];

/** What the slice's action groups share: the client, the routed target, the store and the snapshot helpers. */
interface Kit {
  client: Client;
  target: { host: string | null };
  set: SliceSet;
  get: SliceGet;
  on(host: string): Client['api'];
  patch(host: string, change: (s: HostSnapshot) => Partial<HostSnapshot>): void;
  reloadSoon(host: string): void;
  queueCheck(host: string, result: CheckResult): void;
}

const without = <T>(record: Record<string, T>, key: string): Record<string, T> =>
  Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));

export const createHostsSlice =
  (client: Client, target: { host: string | null }): ReturnType<SliceCreator<HostsSlice>> =>
  (set, get) => {
    const on = (host: string) => client.forHost(host === LOCAL ? null : host);
    const patch = (host: string, change: (s: HostSnapshot) => Partial<HostSnapshot>) =>
      set((s) => {
        const current = s.fleet[host] ?? emptySnapshot();
        return { fleet: { ...s.fleet, [host]: { ...current, ...change(current) } } };
      });
    const reloadTimers = new Map<string, ReturnType<typeof setTimeout>>();
    const reloadSoon = (host: string) => {
      clearTimeout(reloadTimers.get(host));
      reloadTimers.set(
        host,
        setTimeout(() => void get().loadHostSnapshot(host), 150),
      );
    };
    // A check of every component sends one check_result each: apply them together, not one store change each.
    const queuedChecks = new Map<string, CheckResult[]>();
    let checksTimer: ReturnType<typeof setTimeout> | undefined;
    const queueCheck = (host: string, result: CheckResult) => {
      queuedChecks.set(host, [...(queuedChecks.get(host) ?? []), result]);
      checksTimer ??= setTimeout(() => {
        checksTimer = undefined;
        const batches = [...queuedChecks];
        queuedChecks.clear();
        for (const [h, results] of batches)
          patch(h, (s) => ({ checks: { ...s.checks, ...Object.fromEntries(results.map((r) => [r.id, r])) } }));
      }, 100);
    };

    const kit: Kit = { client, target, set, get, on, patch, reloadSoon, queueCheck };
    return {
      hosts: [],
      hostsStatus: 'idle',
      hostsError: null,
      hostScope: LOCAL,
      fleet: {},
      hostTests: {},
      rollout: null,

      ...snapshotActions(kit),
      ...registryActions(kit),
      ...rolloutActions(kit),
    };
  };

/** The switcher and the All hosts view: which host shows, each host's components, actions on the owning host, its events. */
function snapshotActions({
  client,
  target,
  set,
  get,
  on,
  patch,
  reloadSoon,
  queueCheck,
}: Kit): Pick<
  HostsSlice,
  | 'loadHosts'
  | 'setHostScope'
  | 'loadFleet'
  | 'loadHostSnapshot'
  | 'fleetUpdate'
  | 'fleetCheck'
  | 'hostEventReceived'
  | 'hostStateChanged'
> {
  return {
    async loadHosts() {
      set({ hostsStatus: 'loading' });
      try {
        const { hosts } = await client.api.listHosts({});
        set({ hosts: hosts.map((h) => ({ name: h.name, ssh: h.ssh })), hostsStatus: 'ready', hostsError: null });
      } catch (error) {
        set({ hostsStatus: 'error', hostsError: toErrorShape(error) });
      }
    },

    async setHostScope(scope) {
      set({ hostScope: scope });
      if (scope === ALL_HOSTS) {
        target.host = null;
        await get().loadFleet();
        return;
      }
      target.host = scope === LOCAL ? null : scope;
      // What the views show now comes from that host: read it all again.
      const s = get();
      await s.loadComponents();
      await Promise.all([s.loadCheckResults(), s.loadSchedules(), s.loadSettings(), s.loadInfo()]);
      await s.loadHistory();
      await s.loadBackups();
    },

    async loadFleet() {
      await get().loadHosts();
      await Promise.all([LOCAL, ...get().hosts.map((h) => h.name)].map((host) => get().loadHostSnapshot(host)));
    },

    async loadHostSnapshot(host) {
      patch(host, () => ({ status: 'loading' }));
      try {
        const api = on(host);
        const [{ components }, checks] = await Promise.all([api.listComponents({}), api.getCheckResults({})]);
        patch(host, () => ({
          status: 'ready',
          components,
          checks: Object.fromEntries(checks.components.map((c) => [c.id, c])),
          error: null,
        }));
      } catch (error) {
        patch(host, () => ({ status: 'error', error: toErrorShape(error) }));
      }
    },

    async fleetUpdate(host, id) {
      patch(host, (s) => ({ busy: { ...s.busy, [id]: 'update' } }));
      try {
        const { results } = await on(host).updateComponents({ ids: [id] });
        const r = results[0];
        const where = host === LOCAL ? 'this computer' : host;
        if (r?.status === 'succeeded')
          get().announce(`${id} on ${where}: updated ${r.from ?? ''} → ${r.to ?? ''}.`, 'success');
        else
          get().announce(
            `${id} on ${where}: ${r?.status ?? 'no result'}${r?.error ? ` — ${r.error.message} (${r.error.code})` : ''}.`,
            r?.status === 'skipped' ? 'info' : 'error',
          );
      } catch (error) {
        get().reportError(`Update of ${id} on ${host === LOCAL ? 'this computer' : host} failed`, toErrorShape(error));
      } finally {
        patch(host, (s) => ({ busy: without(s.busy, id), progress: without(s.progress, id) }));
        await get().loadHostSnapshot(host);
      }
    },

    async fleetCheck(host, id) {
      patch(host, (s) => ({ busy: { ...s.busy, [id]: 'check' } }));
      try {
        const { components } = await on(host).checkComponents({ ids: [id], force: true });
        const r = components[0];
        if (r) patch(host, (s) => ({ checks: { ...s.checks, [id]: r } }));
        get().announce(
          r?.error
            ? `Check of ${id} failed: ${r.error.message} (${r.error.code})`
            : `${id}: ${r?.update_available ? `${r.latest ?? 'a new version'} is available` : 'up to date'}.`,
          r?.error ? 'error' : 'info',
        );
      } catch (error) {
        get().reportError(`Check of ${id} on ${host === LOCAL ? 'this computer' : host} failed`, toErrorShape(error));
      } finally {
        patch(host, (s) => ({ busy: without(s.busy, id) }));
      }
    },

    hostEventReceived({ host, event, payload }) {
      // Only the All hosts view (and a rollout started from it) reads the snapshots.
      if (get().hostScope !== ALL_HOSTS || !get().fleet[host]) return;
      if (event === 'update_progress') {
        const p = payload as UpdateProgress;
        patch(host, (s) => ({ progress: { ...s.progress, [p.component]: p } }));
      } else if (event === 'check_result') {
        queueCheck(host, (payload as { result: CheckResult }).result);
      } else if (
        event === 'update_succeeded' ||
        event === 'update_failed' ||
        event === 'update_rolled_back' ||
        event === 'components_changed'
      ) {
        if (get().fleet[host]) reloadSoon(host);
      }
    },

    hostStateChanged({ host, state, error }) {
      if (state === 'connected') patch(host, (s) => ({ error: s.error?.code.startsWith('HOST_') ? null : s.error }));
      else if (error) patch(host, () => ({ status: 'error', error }));
    },
  };
}

/** Settings → Hosts: add, test and remove (answered by this computer). */
function registryActions({ client, target, set, get }: Kit): Pick<HostsSlice, 'addHost' | 'testHost' | 'removeHost'> {
  return {
    async addHost(request) {
      try {
        await client.api.addHost(request);
        get().announce(`Host ${request.name} added.`, 'success');
        await get().loadHosts();
        return null;
      } catch (error) {
        const shape = toErrorShape(error);
        get().announce(`Could not add ${request.name}: ${shape.message} (${shape.code})`, 'error');
        return shape;
      }
    },

    async testHost(name) {
      let result: HostTestResult;
      try {
        result = await client.api.testHost({ name });
      } catch (error) {
        result = { name, ok: false, error: toErrorShape(error) };
      }
      if (result.ok) {
        const detail = `Upkeep ${result.upkeep} on ${result.hostname}`;
        set((s) => ({ hostTests: { ...s.hostTests, [name]: { ok: true, error: null, detail } } }));
        get().announce(`${name} answers: ${detail}.`, 'success');
      } else {
        const shape = result.error;
        set((s) => ({ hostTests: { ...s.hostTests, [name]: { ok: false, error: shape, detail: null } } }));
        get().announce(`${name} did not answer: ${shape.message} (${shape.code})`, 'error');
      }
    },

    async removeHost(name) {
      try {
        await client.api.removeHost({ name });
        set((s) => ({
          fleet: without(s.fleet, name),
          hostTests: without(s.hostTests, name),
          ...(s.hostScope === name ? { hostScope: LOCAL } : {}),
        }));
        if (target.host === name) target.host = null;
        get().announce(`Host ${name} removed.`, 'success');
        await get().loadHosts();
        return null;
      } catch (error) {
        const shape = toErrorShape(error);
        get().announce(`Could not remove ${name}: ${shape.message} (${shape.code})`, 'error');
        return shape;
      }
    },
  };
}

/** A staged rollout started from All hosts, and its progress events. */
function rolloutActions({ client, set, get }: Kit): Pick<HostsSlice, 'startRollout' | 'rolloutProgressed'> {
  return {
    async startRollout(request) {
      set({ rollout: { component: request.component, running: true, progress: [], result: null, error: null } });
      try {
        const result = await client.api.startRollout(request);
        set((s) => ({ rollout: s.rollout ? { ...s.rollout, running: false, result } : null }));
        const stop = result.stopped_at;
        get().announce(
          stop
            ? `Rollout of ${result.component} stopped at ${stop.host}${stop.canary ? ' (the canary)' : ''}, step ${stop.step ?? 'unknown'}: ${stop.error?.message ?? ''}`
            : `Rollout of ${result.component} finished on ${result.hosts.length} host(s).`,
          stop ? 'error' : 'success',
        );
      } catch (error) {
        set((s) => ({ rollout: s.rollout ? { ...s.rollout, running: false, error: toErrorShape(error) } : null }));
      } finally {
        void get().loadFleet();
      }
    },

    rolloutProgressed(progress) {
      set((s) =>
        s.rollout && s.rollout.component === progress.component
          ? { rollout: { ...s.rollout, progress: [...s.rollout.progress, progress] } }
          : {},
      );
    },
  };
}
