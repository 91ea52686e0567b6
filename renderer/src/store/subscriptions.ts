import type { EventMap, EventName } from '../../../shared/contract';
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
  };

  let wasOpen = false;
  const stop = client.subscribe(
    (event, payload) => {
      const handler = handlers[event] as ((p: unknown) => void) | undefined;
      handler?.(payload);
    },
    (state) => {
      s().setConnection(state);
      // The host answers: what was said about not reaching it is over.
      if (state === 'open') s().clearNotices(wasOpen ? 'all' : 'host');
      // After a reconnect, events may have been missed: reload what they would have changed (and a
      // failure that still holds is reported again; the notices from before the outage are stale).
      if (state === 'open' && wasOpen) {
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
