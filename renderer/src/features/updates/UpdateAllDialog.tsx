import { useState } from 'react';
import type { CheckResult } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { selectPendingUpdates, type ComponentRow } from '../../store/selectors/components-selectors';
import { Badge } from '../../ui/Badge';
import { Dialog } from '../../ui/Dialog';
import { useOffline } from '../../ui/use-offline';
import { RiskBadges } from '../components/RiskBadges';

/** Updates that ask a person first: a new major version (or breaking notes) and prereleases start unticked. */
function needsAPerson(check: CheckResult | undefined): boolean {
  return check?.breaking === true || check?.prerelease === true;
}

/**
 * Update all, confirmed: every pending update with its risk, ticked unless it is breaking or a
 * prerelease; people untick what should wait. Only the ticked ones run.
 */
export function UpdateAllDialog({ onClose }: { onClose(): void }) {
  const pending = useAppStore(selectPendingUpdates);
  const checks = useAppStore((s) => s.checks);
  const updateComponents = useAppStore((s) => s.updateComponents);
  const offline = useOffline();
  const [chosen, setChosen] = useState<Set<string>>(
    () => new Set(pending.filter((p) => !needsAPerson(checks[p.id])).map((p) => p.id)),
  );
  const toggle = (id: string) =>
    setChosen((old) => {
      const next = new Set(old);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const ids = pending.filter((p) => chosen.has(p.id)).map((p) => p.id);
  const waiting = pending.filter((p) => needsAPerson(checks[p.id]) && !chosen.has(p.id)).length;
  const start = () => {
    onClose();
    void updateComponents(ids);
  };
  return (
    <Dialog
      title="Update all"
      onClose={onClose}
      size="medium"
      description="Each update is backed up first and rolled back if it fails. Untick what should wait."
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="button button-primary"
            disabled={ids.length === 0 || offline.disabled}
            title={offline.title}
            onClick={start}
          >
            {ids.length === 1 ? 'Update 1 component' : `Update ${ids.length} components`}
          </button>
        </>
      }
    >
      <ul className="update-all-list">
        {pending.map((p: ComponentRow) => {
          const check = checks[p.id];
          return (
            <li key={p.id}>
              <label className="update-all-item">
                <input type="checkbox" checked={chosen.has(p.id)} onChange={() => toggle(p.id)} />
                <span className="update-all-name" title={p.name}>
                  {p.name}
                </span>
                <span className="mono update-all-versions" title={`${p.installed ?? '?'} → ${p.latest ?? '?'}`}>
                  {p.installed ?? '?'} → {p.latest ?? '?'}
                </span>
                <span className="update-all-flags">
                  <RiskBadges risk={check?.risk} />
                  {check?.prerelease ? (
                    <Badge tone="warning" title={`${p.latest} is a prerelease on channel ${p.channel}`}>
                      Prerelease
                    </Badge>
                  ) : null}
                </span>
              </label>
            </li>
          );
        })}
      </ul>
      {waiting > 0 ? (
        <p className="muted small">
          {waiting === 1 ? 'One update is' : `${waiting} updates are`} breaking or a prerelease and not ticked: tick{' '}
          {waiting === 1 ? 'it' : 'them'} to include {waiting === 1 ? 'it' : 'them'}.
        </p>
      ) : null}
    </Dialog>
  );
}
