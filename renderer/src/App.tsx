import { useEffect, useState } from 'react';
import { createPortal } from 'react-dom';
import { BackupsView } from './features/backups/BackupsView';
import { ComponentsView } from './features/components/ComponentsView';
import { HistoryView } from './features/history/HistoryView';
import { FleetView } from './features/hosts/FleetView';
import { HostSwitcher } from './features/hosts/HostSwitcher';
import { DialogHost } from './DialogHost';
import type { ConnectionState } from './api';
import { useAppStore } from './store';
import { selectPendingUpdates } from './store/selectors/components-selectors';
import type { View } from './store/ui-slice';
import { ALL_HOSTS } from './store/hosts-slice';
import { ErrorMessage } from './ui/ErrorMessage';
import { Icon, type IconName } from './ui/Icon';
import { useLiveRegionTarget } from './ui/live-region-target';

const CONNECTION_LABEL: Record<ConnectionState, string> = {
  open: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  refused: 'Access refused',
};

const NAV: { view: View; label: string; icon: IconName }[] = [
  { view: 'components', label: 'Components', icon: 'box' },
  { view: 'backups', label: 'Backups', icon: 'archive' },
  { view: 'history', label: 'History', icon: 'history' },
];

export function App() {
  const view = useAppStore((s) => s.view);
  const setView = useAppStore((s) => s.setView);
  const openDialog = useAppStore((s) => s.openDialog);
  const pending = useAppStore(selectPendingUpdates).length;
  const connection = useAppStore((s) => s.connection);
  const info = useAppStore((s) => s.info);
  const allHosts = useAppStore((s) => s.hostScope === ALL_HOSTS);

  useEffect(() => {
    document.title = pending > 0 ? `Upkeep (${pending})` : 'Upkeep';
  }, [pending]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="shield" size={18} />
          </span>
          <span className="brand-name">Upkeep</span>
        </div>
        <HostSwitcher />
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.view}>
                <button
                  type="button"
                  className="nav-item"
                  aria-current={view === item.view ? 'page' : undefined}
                  onClick={() => setView(item.view)}
                >
                  <Icon name={item.icon} />
                  <span>{item.label}</span>
                  {item.view === 'components' && pending > 0 ? (
                    <span className="nav-count" aria-hidden="true">
                      {pending}
                    </span>
                  ) : null}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sidebar-foot">
          <button type="button" className="nav-item" onClick={() => openDialog({ kind: 'settings' })}>
            <Icon name="settings" />
            <span>Settings</span>
          </button>
          <p className={`connection connection-${connection}`}>
            <span className="connection-dot" aria-hidden="true" />
            {CONNECTION_LABEL[connection]}
          </p>
          {info ? <p className="app-version">Upkeep {info.version}</p> : null}
        </div>
      </aside>
      <main id="main" className="main" tabIndex={-1}>
        {info?.read_only ? (
          <p className="callout callout-warning readonly-banner">
            This connection is read-only: you can look at everything, and changes are refused (FORBIDDEN).
          </p>
        ) : null}
        {/* Refused: the token's notice says what is wrong; the connection itself is fine. */}
        {connection === 'reconnecting' ? <ConnectionLost /> : null}
        <Notices />
        {view === 'components' && allHosts ? (
          <FleetView />
        ) : view === 'components' ? (
          <ComponentsView />
        ) : view === 'backups' ? (
          <BackupsView />
        ) : (
          <HistoryView />
        )}
      </main>
      <LiveRegion />
      <DialogHost />
    </div>
  );
}

/** The one role="status" region: every outcome is announced here (and visible as a toast). */
function LiveRegion() {
  const announcement = useAppStore((s) => s.announcement);
  const target = useLiveRegionTarget();
  // The toast fades after a while; the text stays in the region (it has been read out already).
  const [fadedSeq, setFadedSeq] = useState<number | null>(null);
  useEffect(() => {
    if (!announcement) return undefined;
    const timer = setTimeout(() => setFadedSeq(announcement.seq), announcement.tone === 'error' ? 12_000 : 6_000);
    return () => clearTimeout(timer);
  }, [announcement]);
  const visible = announcement !== null && !announcement.quiet && fadedSeq !== announcement.seq;
  const region = (
    <div
      className={`toast${announcement ? ` toast-${announcement.tone}` : ''}${visible ? ' toast-visible' : ''}`}
      role="status"
      aria-live="polite"
      aria-atomic="true"
    >
      {announcement ? <span key={announcement.seq}>{announcement.text}</span> : null}
    </div>
  );
  return target ? createPortal(region, target) : region;
}

/**
 * The sidebar's dot is easy to miss (and hidden on narrow windows): while the host is away, say so
 * where the work is. What is on screen stays; it is the last known state.
 */
function ConnectionLost() {
  return (
    <section className="callout callout-warning connection-lost" aria-labelledby="connection-lost-title">
      <h2 id="connection-lost-title" className="callout-title">
        <Icon name="alert" /> Lost the connection to the Upkeep host
      </h2>
      <p className="trouble-text">
        The panel shows what it knew last; checks and changes can't be made until the host answers again. The panel
        keeps trying on its own — if Upkeep was stopped, start it again (<code>npm start</code> or{' '}
        <code>upkeep serve</code>).
      </p>
    </section>
  );
}

function Notices() {
  const all = useAppStore((s) => s.notices);
  const connection = useAppStore((s) => s.connection);
  const dismiss = useAppStore((s) => s.dismissNotice);
  // While the connection is lost, the callout above says so: calls that could not reach the host add nothing to it.
  const notices = connection === 'reconnecting' ? all.filter((n) => n.cause !== 'NETWORK:host') : all;
  if (notices.length === 0) return null;
  return (
    <div className="notices">
      {notices.map((n) => (
        <ErrorMessage key={n.seq} title={n.title} error={n.error} onDismiss={() => dismiss(n.seq)} />
      ))}
    </div>
  );
}
