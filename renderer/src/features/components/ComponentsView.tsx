import { useEffect, useMemo, useRef } from 'react';
import { useAppStore } from '../../store';
import {
  selectComponentRows,
  selectFilteredComponentRows,
  selectPendingUpdates,
  type ComponentRow,
} from '../../store/selectors/components-selectors';
import { useOffline } from '../../ui/use-offline';
import { VirtualTable, type Column } from '../../ui/VirtualTable';
import { PendingSummary } from '../updates/PendingSummary';
import { runCardId, RunPanel } from '../updates/RunPanel';
import { sortSecurityFirst } from '../../store/selectors/risk-selectors';
import { selectCheckTrouble, selectShowWelcome } from '../../store/selectors/check-trouble';
import { CheckTroubleBanners } from './CheckTroubleBanners';
import { PackagesPanel } from './PackagesPanel';
import { ProblemsPanel } from './ProblemsPanel';
import { ComponentsEmpty, TableTools } from './component-cells';
import { ComponentsHeader, rowCells } from './components-view-parts';
import { WelcomeCard } from './WelcomeCard';

const COLUMNS: Column[] = [
  { key: 'name', header: 'Component', min: 144, grow: 2.2 },
  { key: 'kind', header: 'Kind', min: 112, grow: 1.3, drop: 2 },
  { key: 'installed', header: 'Installed', min: 80, grow: 1 },
  { key: 'latest', header: 'Latest', min: 80, grow: 1 },
  { key: 'channel', header: 'Channel', min: 72, grow: 0.9, drop: 3 },
  { key: 'checked', header: 'Checked', min: 88, grow: 1, drop: 1, card: 'hidden' },
  { key: 'status', header: 'Status', min: 152, grow: 1.1, card: 'wide' },
  { key: 'actions', header: <span className="visually-hidden">Actions</span>, min: 200, align: 'end' },
];
// Environment rows carry a Packages button too.
const COLUMNS_WITH_PACKAGES: Column[] = COLUMNS.map((c) => (c.key === 'actions' ? { ...c, min: 290 } : c));
/**
 * A failed check says why under its status: that line needs room. The actions column keeps room for
 * "Update now" only when a row offers it; the channel goes first when the window is narrow.
 */
function columnsFor({
  packages,
  reasons,
  updates,
}: {
  packages: boolean;
  reasons: boolean;
  updates: boolean;
}): Column[] {
  const base = packages ? COLUMNS_WITH_PACKAGES : COLUMNS;
  if (!reasons) return base;
  return base.map((c) =>
    c.key === 'status'
      ? { ...c, min: updates || packages ? 208 : 272, grow: 2.4 }
      : c.key === 'actions' && !updates && !packages
        ? { ...c, min: 112 }
        : c.key === 'channel'
          ? { ...c, drop: 1 }
          : c.key === 'checked'
            ? { ...c, drop: 3 }
            : c,
  );
}

export function ComponentsView() {
  const filteredRows = useAppStore(selectFilteredComponentRows);
  const checks = useAppStore((s) => s.checks);
  const securityFirst = useAppStore((s) => s.securityFirst);
  const expanded = useAppStore((s) => s.expandedEnvironment);
  const toggleEnvironment = useAppStore((s) => s.toggleEnvironment);
  const rows = useMemo(
    () => (securityFirst ? sortSecurityFirst(filteredRows, checks) : filteredRows),
    [securityFirst, filteredRows, checks],
  );
  const total = useAppStore((s) => s.components.length);
  const pending = useAppStore(selectPendingUpdates);
  const failedChecks = useAppStore((s) => selectComponentRows(s).filter((r) => r.status === 'check-failed').length);
  const problems = useAppStore((s) => s.problems);
  const status = useAppStore((s) => s.componentsStatus);
  const loadError = useAppStore((s) => s.componentsError);
  const filter = useAppStore((s) => s.componentFilter);
  const checkComponents = useAppStore((s) => s.checkComponents);
  const anyChecking = useAppStore((s) => Object.values(s.checking).some(Boolean));
  const openDialog = useAppStore((s) => s.openDialog);
  const updateComponents = useAppStore((s) => s.updateComponents);
  const loadComponents = useAppStore((s) => s.loadComponents);
  const components = useAppStore((s) => s.components);
  const githubApiBase = useAppStore((s) => s.settings?.settings.github_api_base);
  const githubTokenSet = useAppStore((s) => s.settings?.github_token_set ?? false);
  const trouble = useAppStore(selectCheckTrouble);
  const showWelcome = useAppStore(selectShowWelcome);
  const dismissWelcome = useAppStore((s) => s.dismissWelcome);
  const findButton = useRef<HTMLButtonElement>(null);
  const offline = useOffline();
  // Update now: the button goes as the run starts; focus moves to the run's card, which shows its progress.
  const updateOne = (id: string) => {
    void updateComponents([id]);
    requestAnimationFrame(() => document.getElementById(runCardId(id))?.focus());
  };
  const typeOf = useMemo(() => new Map(components.map((c) => [c.id, c.type])), [components]);
  const columns = useMemo(
    () =>
      columnsFor({
        packages: rows.some((r) => checks[r.id]?.packages),
        reasons: rows.some((r) => r.status === 'check-failed'),
        updates: rows.some((r) => r.updateAvailable),
      }),
    [rows, checks],
  );

  useEffect(() => {
    // For bench/ui: when the first list of components is on screen.
    if (status === 'ready' && performance.getEntriesByName('upkeep:components-rendered').length === 0)
      performance.mark('upkeep:components-rendered');
  }, [status]);

  return (
    <section className="view" aria-labelledby="view-title">
      <ComponentsHeader
        total={total}
        pending={pending.length}
        failedChecks={failedChecks}
        showWelcome={showWelcome}
        anyChecking={anyChecking}
        findButton={findButton}
      />

      {showWelcome ? (
        <WelcomeCard
          tracksItself={total > 0}
          onFind={() => openDialog({ kind: 'discover' })}
          onAdd={() => openDialog({ kind: 'add-component' })}
          onImport={() => openDialog({ kind: 'import-octoprint' })}
          onDismiss={() => {
            dismissWelcome();
            // The card's buttons go; focus moves to the toolbar's, which take their place.
            requestAnimationFrame(() => findButton.current?.focus());
          }}
        />
      ) : null}
      <CheckTroubleBanners
        trouble={trouble}
        checking={anyChecking || offline.disabled}
        githubTokenSet={githubTokenSet}
        onCheckAgain={(ids) => void checkComponents(ids, true)}
        onOpenTokenSettings={() => openDialog({ kind: 'settings', focus: 'github-token' })}
      />
      <ProblemsPanel problems={problems} />
      {/* A failed load is a notice above (one per cause) and, with no rows, the empty state: not a third copy here. */}
      <PendingSummary pending={pending} offline={offline} onUpdateAll={() => openDialog({ kind: 'update-all' })} />
      <RunPanel />

      <div className="table-card">
        <TableTools shown={rows.length} total={total} />
        {expanded && rows.some((r) => r.id === expanded) ? <PackagesPanel id={expanded} /> : null}
        <VirtualTable<ComponentRow>
          label="Components"
          columns={columns}
          items={rows}
          rowKey={(r) => r.id}
          rowClassName={(r) => (r.updateAvailable ? 'row-highlight' : undefined)}
          empty={
            <ComponentsEmpty
              status={status}
              filter={filter}
              loadError={loadError}
              showWelcome={showWelcome}
              offline={offline}
              onRetry={() => void loadComponents()}
              openDialog={openDialog}
            />
          }
          renderCells={(r) =>
            rowCells(r, {
              checks,
              typeOf,
              githubApiBase,
              githubTokenSet,
              troubleOffline: trouble.offline,
              expanded,
              offline,
              toggleEnvironment,
              updateOne,
              openDialog,
            })
          }
        />
      </div>
    </section>
  );
}
