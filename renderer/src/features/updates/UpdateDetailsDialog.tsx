import { useState } from 'react';
import type { CheckResult, Component } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { selectComponentRows } from '../../store/selectors/components-selectors';
import { selectCheck } from '../../store/selectors/updates-selectors';
import { Dialog, DIALOG_HEADING } from '../../ui/Dialog';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { useOffline } from '../../ui/use-offline';
import { ScheduleForm } from './ScheduleForm';
import { isVerified, pickAsset, ReleaseNotes, RiskExplained, safeLink, UpdateFacts } from './update-facts';

/** What an update would bring: release notes, why it counts as newer, size, whether the download is verified. */
export function UpdateDetailsDialog({ component, onClose }: { component: Component; onClose(): void }) {
  const check = useAppStore(selectCheck(component.id));
  const updateComponents = useAppStore((s) => s.updateComponents);
  const held = check?.held === true;
  const offline = useOffline();
  const schedule = useAppStore((s) => s.schedules[component.id]);
  const target = check?.target ?? null;
  const notes = target?.notes ?? [];
  const assets = target?.assets ?? [];
  const asset = pickAsset(component, target?.version ?? '', target?.tag ?? '', assets);
  const verified = isVerified(component, asset, assets);
  const releasePage = safeLink(notes[0]?.url);
  const attention = useAppStore((s) => selectComponentRows(s).find((r) => r.id === component.id)?.attention ?? null);
  const resolveAttention = useAppStore((s) => s.resolveAttention);

  return (
    <Dialog
      title={`${component.name}`}
      onClose={onClose}
      size="large"
      // Focus starts on the title, not on a link somewhere in the release notes.
      initialFocus={DIALOG_HEADING}
      footer={<DetailsFooter component={component} check={check} held={held} onClose={onClose} />}
    >
      <UpdateFacts component={component} check={check} asset={asset} verified={verified} />
      {check?.downgrade_refused && check.latest && component.method !== null && !held ? (
        <div className="callout callout-warning">
          <strong>Not offered: lower.</strong> {check.latest} is lower than {check.installed ?? 'what is installed'} or
          a version seen before on this channel, so it is not offered as an update. If you want it anyway (a release was
          pulled, or you need to go back), install it as a downgrade; a backup is taken first, as for any update.{' '}
          <button
            type="button"
            className="button button-small"
            {...offline}
            onClick={() => {
              onClose();
              void updateComponents([component.id], { downgrade: true });
            }}
          >
            Install {check.latest} (downgrade)
          </button>
        </div>
      ) : null}
      {check?.explanation ? (
        <p className="explanation">
          <strong>{check.update_available ? 'Why this is an update:' : 'Comparison:'}</strong>{' '}
          <span className="mono">{check.explanation}</span>
        </p>
      ) : null}
      {attention ? (
        <div className="callout callout-danger" role="note">
          <strong>Needs attention:</strong> {attention.reason}. {attention.action}{' '}
          <button
            type="button"
            className="button button-small"
            {...offline}
            onClick={() => void resolveAttention(component.id)}
          >
            Mark resolved
          </button>
        </div>
      ) : null}
      {releasePage ? (
        <p>
          <a href={releasePage} target="_blank" rel="noreferrer">
            Release page of {check?.latest ?? notes[0]?.version}
          </a>
        </p>
      ) : null}
      {check?.update_available && check.risk ? <RiskExplained risk={check.risk} /> : null}
      {check?.update_available
        ? (check.risk_unknown ?? []).map((u) => (
            <p key={u.flag} className="callout callout-warning" role="note">
              <strong>{u.flag === 'security' ? 'Security unknown:' : 'Breaking unknown:'}</strong> {u.message}{' '}
              <code className="error-code">{u.code}</code>
            </p>
          ))
        : null}
      {held ? (
        <p className="callout callout-warning">
          <strong>Held:</strong> you hold {component.name} at{' '}
          <span className="mono">{check?.held_version ?? 'its installed version'}</span>. Update all, automatic updates
          and Update now leave it alone until you release the hold.
        </p>
      ) : null}
      {check?.skipped_version ? (
        <p className="callout">
          <strong>Skipped:</strong> you chose to skip <span className="mono">{check.skipped_version}</span>. A newer
          version will be offered again.
        </p>
      ) : null}
      {!held && schedule?.deferral && check?.update_available ? (
        <p className="callout callout-warning">
          <strong>Held back:</strong> {schedule.deferral.message}
        </p>
      ) : null}
      {check?.error ? <ErrorMessage title="The last check failed" error={check.error} /> : null}
      {!check ? <p className="muted">Run “Check for updates” to see what is new.</p> : null}
      <ReleaseNotes notes={notes} updateAvailable={check?.update_available === true} />
      {schedule && component.method !== null && component.source.kind === 'settings' ? (
        <ScheduleForm id={component.id} schedule={schedule} />
      ) : null}
    </Dialog>
  );
}

/** The dialog's buttons: unskip, hold or release, skip this version, update now. */
function DetailsFooter({
  component,
  check,
  held,
  onClose,
}: {
  component: Component;
  check: CheckResult | undefined;
  held: boolean;
  onClose(): void;
}) {
  const updateComponents = useAppStore((s) => s.updateComponents);
  const skipVersion = useAppStore((s) => s.skipVersion);
  const holdComponent = useAppStore((s) => s.holdComponent);
  const [choosing, setChoosing] = useState(false);
  const choose = (action: () => Promise<void>) => async () => {
    setChoosing(true);
    await action();
    setChoosing(false);
  };
  const offline = useOffline();
  return (
    <>
      <button type="button" className="button" onClick={onClose}>
        Close
      </button>
      {check?.skipped_version ? (
        <button
          type="button"
          className="button"
          disabled={choosing}
          onClick={choose(() => skipVersion(component.id, null))}
        >
          Unskip
        </button>
      ) : null}
      {held ? (
        <button
          type="button"
          className="button"
          disabled={choosing}
          onClick={choose(() => holdComponent(component.id, false))}
        >
          Release hold
        </button>
      ) : component.method !== null ? (
        <button
          type="button"
          className="button"
          disabled={choosing}
          title="Keep the installed version: no update installs until you release it"
          onClick={choose(() => holdComponent(component.id, true))}
        >
          Hold
        </button>
      ) : null}
      {check?.update_available && !held && check.latest ? (
        <button
          type="button"
          className="button"
          disabled={choosing}
          title={`Do not offer ${check.latest}; a newer version will be offered`}
          onClick={choose(() => skipVersion(component.id, check.latest))}
        >
          Skip this version
        </button>
      ) : null}
      {check?.update_available && !held ? (
        <button
          type="button"
          className="button button-primary"
          aria-label={`Update now: ${component.name}`}
          {...offline}
          onClick={() => {
            onClose();
            void updateComponents([component.id]);
          }}
        >
          Update now
        </button>
      ) : null}
    </>
  );
}
