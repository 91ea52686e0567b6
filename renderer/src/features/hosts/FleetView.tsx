import { useEffect } from 'react';
import type { Component } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { LOCAL, type HostSnapshot } from '../../store/hosts-slice';
import { ProgressBar } from '../../ui/ProgressBar';
import { describeHostState } from './host-state';

const hostLabel = (host: string) => (host === LOCAL ? 'This computer' : host);

interface Row {
  host: string;
  component: Component;
  snapshot: HostSnapshot;
}

/** "All hosts": every host's components in one table with a Host column, each host's connection state above it. */
export function FleetView() {
  const hosts = useAppStore((s) => s.hosts);
  const fleet = useAppStore((s) => s.fleet);
  const loadFleet = useAppStore((s) => s.loadFleet);
  const openDialog = useAppStore((s) => s.openDialog);
  useEffect(() => void loadFleet(), [loadFleet]);
  const names = [LOCAL, ...hosts.map((h) => h.name)];
  const rows: Row[] = names.flatMap((host) => {
    const snapshot = fleet[host];
    return snapshot ? snapshot.components.map((component) => ({ host, component, snapshot })) : [];
  });
  return (
    <section className="view" aria-labelledby="view-title">
      <header className="view-header">
        <div>
          <h1 id="view-title">All hosts</h1>
          <p className="view-subtitle">
            Every component on this computer and on each registered host. Actions run on the host that owns the
            component.
          </p>
        </div>
        <div className="toolbar">
          <button type="button" className="button" onClick={() => void loadFleet()}>
            Refresh
          </button>
          <button type="button" className="button" onClick={() => openDialog({ kind: 'hosts' })}>
            Manage hosts
          </button>
        </div>
      </header>
      <ul className="host-states" aria-label="Hosts">
        {names.map((host) => {
          const state = describeHostState(fleet[host]);
          return (
            <li key={host} className={`host-state host-state-${state.tone}`} data-host={host}>
              <strong>{hostLabel(host)}</strong> <span className="host-state-label">{state.label}</span>
              {state.detail ? <p className="host-state-detail">{state.detail}</p> : null}
            </li>
          );
        })}
      </ul>
      <div className="table-card">
        <table className="fleet-table">
          <caption className="visually-hidden">Components on every host</caption>
          <thead>
            <tr>
              <th scope="col">Host</th>
              <th scope="col">Component</th>
              <th scope="col">Installed</th>
              <th scope="col">Latest</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={6}>No components could be read yet.</td>
              </tr>
            ) : (
              rows.map((row) => <FleetRow key={`${row.host}/${row.component.id}`} {...row} />)
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function FleetRow({ host, component, snapshot }: Row) {
  const update = useAppStore((s) => s.fleetUpdate);
  const check = useAppStore((s) => s.fleetCheck);
  const openOn = useAppStore((s) => s.setHostScope);
  const setView = useAppStore((s) => s.setView);
  const openDialog = useAppStore((s) => s.openDialog);
  const result = snapshot.checks[component.id];
  const progress = snapshot.progress[component.id];
  const busy = snapshot.busy[component.id];
  const label = `${component.name} on ${hostLabel(host)}`;
  const status = progress
    ? `Updating: ${progress.step}`
    : result?.error
      ? `Check failed (${result.error.code})`
      : result?.update_available
        ? 'Update available'
        : result
          ? 'Up to date'
          : 'Not checked';
  const go = (view: 'history' | 'backups') => {
    setView(view);
    void openOn(host);
  };
  return (
    <tr data-host={host} data-component={component.id}>
      <td data-label="Host">{hostLabel(host)}</td>
      <th scope="row" data-label="Component">
        {component.name}
        <span className="mono muted"> {component.id}</span>
      </th>
      <td data-label="Installed" className="mono">
        {result?.installed ?? '?'}
      </td>
      <td data-label="Latest" className="mono">
        {result?.latest ?? '?'}
      </td>
      <td data-label="Status">
        {status}
        {progress ? <ProgressBar percent={progress.percent} label={`${label}: ${progress.step}`} /> : null}
      </td>
      <td data-label="Actions">
        <div className="toolbar">
          <button
            type="button"
            className="button button-small button-primary"
            disabled={busy !== undefined}
            aria-label={`Update now: ${label}`}
            onClick={() => void update(host, component.id)}
          >
            {busy === 'update' ? 'Updating…' : 'Update now'}
          </button>
          <button
            type="button"
            className="button button-small"
            disabled={busy !== undefined}
            aria-label={`Check: ${label}`}
            onClick={() => void check(host, component.id)}
          >
            Check
          </button>
          <button
            type="button"
            className="button button-small"
            aria-label={`History: ${label}`}
            onClick={() => go('history')}
          >
            History
          </button>
          <button
            type="button"
            className="button button-small"
            aria-label={`Restore: ${label} (its backups)`}
            onClick={() => go('backups')}
          >
            Restore
          </button>
          <button
            type="button"
            className="button button-small"
            aria-label={`Roll out: ${component.name} across hosts`}
            onClick={() => openDialog({ kind: 'rollout', component: component.id, canary: host })}
          >
            Roll out
          </button>
        </div>
      </td>
    </tr>
  );
}
