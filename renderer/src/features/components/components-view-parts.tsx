import type { ReactNode, RefObject } from 'react';
import type { CheckResult } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { describeCheckError } from '../../store/selectors/check-trouble';
import type { ComponentRow } from '../../store/selectors/components-selectors';
import type { AppState } from '../../store/types';
import { formatDate, formatRelative } from '../../ui/format';
import { Icon } from '../../ui/Icon';
import { useOffline } from '../../ui/use-offline';
import { RowActions, StatusCell } from './component-cells';

// The header and the row cells of the components table (ComponentsView.tsx).

type Offline = ReturnType<typeof useOffline>;

/** The header's one line: what is pending, and — when checks failed — that those say nothing either way. */
function headerLine(total: number, pending: number, failed: number): string {
  const failures =
    failed === 0 ? '' : ` · ${failed === total ? `every check failed` : `${failed} of ${total} checks failed`}`;
  if (pending > 0) return `${total} tracked · ${pending} ${pending === 1 ? 'update' : 'updates'} pending${failures}`;
  if (failed === total) return `${total} tracked · updates unknown${failures}`;
  return `${total} tracked · ${failed ? 'no updates found among the rest' : 'no updates pending'}${failures}`;
}

/** The view's title, what is pending, and its toolbar (the welcome card carries the first three buttons while it is up). */
export function ComponentsHeader({
  total,
  pending,
  failedChecks,
  showWelcome,
  anyChecking,
  findButton,
}: {
  total: number;
  pending: number;
  failedChecks: number;
  showWelcome: boolean;
  anyChecking: boolean;
  findButton: RefObject<HTMLButtonElement | null>;
}) {
  const openDialog = useAppStore((s) => s.openDialog);
  const checkComponents = useAppStore((s) => s.checkComponents);
  const offline = useOffline();
  return (
    <header className="view-header">
      <div>
        <h1 id="view-title">Components</h1>
        <p className="view-subtitle">
          {total === 0 ? 'Nothing tracked yet.' : headerLine(total, pending, failedChecks)}
        </p>
      </div>
      <div className="toolbar">
        {/* While the welcome card is up it carries these three, so each name is on the page once. */}
        {showWelcome ? null : (
          <>
            <button
              ref={findButton}
              type="button"
              className="button"
              {...offline}
              onClick={() => openDialog({ kind: 'discover' })}
            >
              <Icon name="search" /> Find installed
            </button>
            <button
              type="button"
              className="button"
              {...offline}
              onClick={() => openDialog({ kind: 'import-octoprint' })}
            >
              <Icon name="upload" /> Import from OctoPrint
            </button>
            <button type="button" className="button" {...offline} onClick={() => openDialog({ kind: 'add-component' })}>
              <Icon name="plus" /> Add component
            </button>
          </>
        )}
        <button
          type="button"
          className="button button-primary"
          onClick={() => void checkComponents(undefined, true)}
          disabled={anyChecking || total === 0 || offline.disabled}
          title={offline.title}
        >
          <Icon name="refresh" /> Check for updates
        </button>
      </div>
    </header>
  );
}

/** What a row's cells need from the view. */
export interface RowCellsContext {
  checks: Record<string, CheckResult>;
  typeOf: Map<string, string>;
  githubApiBase: string | undefined;
  githubTokenSet: boolean;
  troubleOffline: boolean;
  expanded: string | null;
  offline: Offline;
  toggleEnvironment: AppState['toggleEnvironment'];
  updateOne(id: string): void;
  openDialog: AppState['openDialog'];
}

/** One row's cells, in the columns' order. */
export function rowCells(r: ComponentRow, ctx: RowCellsContext): ReactNode[] {
  return [
    // Names, ids, versions and channels are cut with an ellipsis when the column is narrow: the title has them whole.
    <div className="cell-name" key="n">
      <span className="name" title={r.name}>
        {r.name}
      </span>
      <span className="sub mono" title={r.id}>
        {r.id}
      </span>
    </div>,
    <div className="cell-name" key="k">
      <span className="sub-strong" title={r.type}>
        {r.type}
      </span>
      <span className="sub">{r.method ?? 'check only'}</span>
    </div>,
    <span className="mono cell-text" key="i" title={r.installed ?? undefined}>
      {r.installed ?? '—'}
    </span>,
    <span className="cell-latest" key="l">
      <span className={`mono cell-text${r.updateAvailable ? ' latest-new' : ''}`} title={r.latest ?? undefined}>
        {r.latest ?? '—'}
      </span>
      {ctx.checks[r.id]?.prerelease ? (
        <span className="pre-marker" title={`${r.latest} is a prerelease (channel ${r.channel})`}>
          pre
        </span>
      ) : null}
    </span>,
    <span className="chip" key="c" title={r.channel}>
      {r.channel}
    </span>,
    // A failed check says when it failed, not "Never": the last success is in the title.
    r.failedAt ? (
      <time
        key="t"
        dateTime={r.failedAt}
        title={`Failed ${formatDate(r.failedAt)}; last successful check: ${r.checkedAt ? formatDate(r.checkedAt) : 'none yet'}`}
      >
        failed {formatRelative(r.failedAt)}
      </time>
    ) : (
      <time key="t" dateTime={r.checkedAt ?? undefined} title={formatDate(r.checkedAt)}>
        {formatRelative(r.checkedAt)}
      </time>
    ),
    <StatusCell
      key="s"
      r={r}
      risk={ctx.checks[r.id]?.risk}
      describeError={(error) =>
        describeCheckError(error, {
          type: ctx.typeOf.get(r.id),
          githubApiBase: ctx.githubApiBase,
          githubTokenSet: ctx.githubTokenSet,
          offline: ctx.troubleOffline,
        })
      }
    />,
    <RowActions
      key="a"
      r={r}
      hasPackages={Boolean(ctx.checks[r.id]?.packages)}
      expanded={ctx.expanded}
      offline={ctx.offline}
      onToggle={ctx.toggleEnvironment}
      onUpdate={ctx.updateOne}
      openDialog={ctx.openDialog}
    />,
  ];
}
