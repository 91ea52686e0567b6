import type { ErrorShape, RiskInfo } from '../../../../shared/types';
import { useAppStore } from '../../store';
import type { ComponentRow } from '../../store/selectors/components-selectors';
import type { AppState, LoadStatus } from '../../store/types';
import { EmptyState } from '../../ui/EmptyState';
import { Icon } from '../../ui/Icon';
import type { useOffline } from '../../ui/use-offline';
import { RiskBadges } from './RiskBadges';
import { StatusBadge } from './StatusBadge';

// Cells and the empty state of the components table (ComponentsView.tsx).

type Offline = ReturnType<typeof useOffline>;

/** The status cell: a failed check's code and why, else the badge and any attention; risk when an update waits. */
export function StatusCell({
  r,
  risk,
  describeError,
}: {
  r: ComponentRow;
  risk: RiskInfo | null | undefined;
  describeError(error: ErrorShape): string;
}) {
  return (
    <span className="cell-status">
      {r.status === 'check-failed' && r.error ? (
        <>
          <span className="status-line">
            <StatusBadge status={r.status} />
            <code className="error-code" title={r.error.code}>
              {r.error.code}
            </code>
          </span>
          <span className="status-reason" title={r.error.message}>
            {describeError(r.error)}
          </span>
        </>
      ) : (
        <>
          <StatusBadge
            status={r.status}
            title={
              r.attention
                ? `${r.attention.reason}. ${r.attention.action}`
                : (r.heldBecause ?? (r.error ? `${r.error.message} (${r.error.code})` : undefined))
            }
          />
          {r.attention ? (
            <span className="status-reason" title={`${r.attention.reason}. ${r.attention.action}`}>
              {r.attention.reason}
            </span>
          ) : null}
        </>
      )}
      {r.updateAvailable ? <RiskBadges risk={risk} /> : null}
    </span>
  );
}

/** A row's buttons: Packages (environments), Update now (when one waits), details, edit, remove. */
export function RowActions({
  r,
  hasPackages,
  expanded,
  offline,
  onToggle,
  onUpdate,
  openDialog,
}: {
  r: ComponentRow;
  hasPackages: boolean;
  expanded: string | null;
  offline: Offline;
  onToggle(id: string): void;
  onUpdate(id: string): void;
  openDialog: AppState['openDialog'];
}) {
  return (
    <div className="row-actions">
      {hasPackages ? (
        <button
          type="button"
          className="button button-small"
          aria-label={`Packages of ${r.name}`}
          aria-expanded={expanded === r.id}
          aria-controls={`packages-${r.id}`}
          onClick={() => onToggle(r.id)}
        >
          Packages
        </button>
      ) : null}
      {r.updateAvailable ? (
        <button
          type="button"
          className="button button-primary button-small"
          aria-label={`Update now: ${r.name}`}
          {...offline}
          onClick={() => onUpdate(r.id)}
        >
          Update now
        </button>
      ) : null}
      <button
        type="button"
        className="icon-button"
        aria-label={`Details for ${r.name}`}
        title="Details"
        onClick={() => openDialog({ kind: 'update-details', id: r.id })}
      >
        <Icon name="info" />
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label={`Edit ${r.name}`}
        title={r.readOnly ? 'Defined in a drop-in file' : (offline.title ?? 'Edit')}
        disabled={r.readOnly || offline.disabled}
        onClick={() => openDialog({ kind: 'edit-component', id: r.id })}
      >
        <Icon name="edit" />
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label={`Remove ${r.name}`}
        title={r.readOnly ? 'Defined in a drop-in file' : (offline.title ?? 'Remove')}
        disabled={r.readOnly || offline.disabled}
        onClick={() => openDialog({ kind: 'remove-component', id: r.id })}
      >
        <Icon name="trash" />
      </button>
    </div>
  );
}

/** What the table shows without rows: loading, nothing matches, a failed load, or how to start. */
export function ComponentsEmpty({
  status,
  filter,
  loadError,
  showWelcome,
  offline,
  onRetry,
  openDialog,
}: {
  status: LoadStatus;
  filter: string;
  loadError: ErrorShape | null;
  showWelcome: boolean;
  offline: Offline;
  onRetry(): void;
  openDialog: AppState['openDialog'];
}) {
  return status === 'loading' || status === 'idle' ? (
    <p className="muted">Loading components…</p>
  ) : filter ? (
    <EmptyState icon="search" title="No component matches the filter." />
  ) : status === 'error' ? (
    <EmptyState icon="alert" title="The components could not be loaded">
      <p>{loadError ? `The notice above says why (${loadError.code}).` : 'The host did not answer.'}</p>
      <button type="button" className="button button-primary" onClick={onRetry}>
        Try again
      </button>
    </EmptyState>
  ) : showWelcome ? (
    <EmptyState icon="box" title="No components yet">
      <p>Start with one of the steps above, or drop a YAML file into components.d.</p>
    </EmptyState>
  ) : (
    <EmptyState icon="box" title="No components yet">
      <p>Find what is installed, add one, drop a YAML file into components.d, or import your OctoPrint config.</p>
      <button
        type="button"
        className="button button-primary"
        {...offline}
        onClick={() => openDialog({ kind: 'discover' })}
      >
        Find installed software
      </button>
    </EmptyState>
  );
}

/** The table's filter, how many rows match, and the security-first order. */
export function TableTools({ shown, total }: { shown: number; total: number }) {
  const filter = useAppStore((s) => s.componentFilter);
  const setFilter = useAppStore((s) => s.setComponentFilter);
  const securityFirst = useAppStore((s) => s.securityFirst);
  const setSecurityFirst = useAppStore((s) => s.setSecurityFirst);
  return (
    <div className="table-tools">
      <label className="search">
        <Icon name="search" />
        <span className="visually-hidden">Filter components</span>
        <input
          type="search"
          placeholder="Filter by name, kind or status"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      </label>
      {filter ? (
        <span className="muted">
          {shown} of {total}
        </span>
      ) : null}
      <label className="toggle">
        <input type="checkbox" checked={securityFirst} onChange={(e) => setSecurityFirst(e.target.checked)} /> Security
        updates first
      </label>
    </div>
  );
}
