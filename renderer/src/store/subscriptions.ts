import type { EventMap, EventName, HostEvent } from '../../../shared/contract';
import { ALL_HOSTS, LOCAL } from './hosts-slice';
import type { Client } from '../api';
import type { AppStore } from './index';

type Handlers = { [E in EventName]: (payload: EventMap[E]) => void };

/**
 * The one place push events enter the store. Each event maps to store actions; nothing else
 * listens to the engine directly.
 */
export function connectEvents(client: Client, store: AppStore): () => void {
  const s = () => store.getState();
  let reloadTimer: ReturnType<typeof setTimeout> | undefined;
  const reloadComponentsSoon = () => {
    // Bulk operations emit one event per component; coalesce them into one reload.
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => void s().loadComponents(), 50);
  };

  let scheduleTimer: ReturnType<typeof setTimeout> | undefined;
  const reloadSchedulesSoon = () => {
    clearTimeout(scheduleTimer);
    scheduleTimer = setTimeout(() => void s().loadSchedules(), 100);
  };

  // A finished run (from this panel, the CLI or the scheduler) adds a history entry and a backup.
  let afterRunTimer: ReturnType<typeof setTimeout> | undefined;
  const reloadAfterRunSoon = () => {
    clearTimeout(afterRunTimer);
    afterRunTimer = setTimeout(() => {
      void s().loadHistory();
      void s().loadBackups();
    }, 200);
  };

  const handlers: Handlers = {
    components_changed: () => reloadComponentsSoon(),
    settings_changed: () => void s().loadSettings(),
    update_progress: (p) => s().runProgressed(p),
    update_log: (line) => s().runLogged(line),
    update_succeeded: (o) => {
      s().runFinished('succeeded', o);
      reloadAfterRunSoon();
    },
    update_failed: (o) => {
      s().runFinished('failed', o);
      reloadAfterRunSoon();
    },
    update_rolled_back: (o) => {
      s().runFinished('rolled_back', o);
      reloadAfterRunSoon();
    },
    update_cancelled: (o) => {
      s().runFinished('cancelled', o);
      reloadAfterRunSoon();
    },
    backup_progress: (p) => {
      s().backupProgressed(p);
      // A restore ends in History too.
      if (p.phase === 'done') reloadAfterRunSoon();
    },
    check_started: ({ ids }) => s().checkStarted(ids),
    check_result: ({ result }) => s().checkReceived(result),
    // check_result already carries what update_available announces; the desktop host turns it into a notification.
    update_available: () => undefined,
    schedule_changed: () => reloadSchedulesSoon(),
    host_event: (e) => {
      s().hostEventReceived(e);
      // The host the panel shows: its events drive the views as this computer's do.
      if (s().hostScope === e.host) dispatch(e.event, e.payload);
    },
    host_state: (e) => s().hostStateChanged(e),
    rollout_progress: (p) => s().rolloutProgressed(p),
  };
  const dispatch = (event: string, payload: unknown) =>
    (handlers[event as EventName] as ((p: unknown) => void) | undefined)?.(payload);
  /** Events of this computer's engine (not relayed ones) drive the views only while they show this computer. */
  const RELAYED: ReadonlySet<string> = new Set(['host_event', 'host_state', 'rollout_progress']);

  let wasOpen = false;
  const stop = client.subscribe(
    (event, payload) => {
      if (!RELAYED.has(event) && s().hostScope === ALL_HOSTS)
        s().hostEventReceived({ host: LOCAL, event: event as HostEvent['event'], payload });
      if (RELAYED.has(event) || s().hostScope === LOCAL || s().hostScope === ALL_HOSTS) dispatch(event, payload);
    },
    (state) => {
      s().setConnection(state);
      // The host answers: what was said about not reaching it is over.
      if (state === 'open') s().clearNotices(wasOpen ? 'all' : 'host');
      // After a reconnect, events may have been missed: reload what they would have changed (and a
      // failure that still holds is reported again; the notices from before the outage are stale).
      if (state === 'open' && wasOpen) {
        if (s().hostScope === ALL_HOSTS) void s().loadFleet();
        void s().loadComponents();
        void s().loadSettings();
        void s().loadHistory();
        void s().loadBackups();
        void s().loadSchedules();
      }
      if (state === 'open') wasOpen = true;
    },
  );
  return () => {
    clearTimeout(reloadTimer);
    clearTimeout(scheduleTimer);
    clearTimeout(afterRunTimer);
    stop();
  };
}
