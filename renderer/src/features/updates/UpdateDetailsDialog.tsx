import { useRef, useState } from 'react';
import type { CheckResult, Component, ComponentSchedule, ErrorShape, ReleaseNote, RiskInfo } from '../../../../shared/types';
import { Field } from '../../ui/Field';
import { useAppStore } from '../../store';
import { selectComponentRows } from '../../store/selectors/components-selectors';
import { selectCheck } from '../../store/selectors/updates-selectors';
import { Dialog, DIALOG_HEADING } from '../../ui/Dialog';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { formatBytes, formatDate, formatDuration, formatRelative } from '../../ui/format';
import { Markdown } from '../../ui/Markdown';
import { useOffline } from '../../ui/use-offline';

type Asset = { name: string; size?: number; digest?: string | null };

/** The release asset the config's `asset` pattern picks ({version}, {tag}, `*`); null for the source archive. */
function pickAsset(component: Component, version: string, tag: string, assets: Asset[]): Asset | null {
  const pattern = component.config.asset;
  if (!pattern) return null;
  const expanded = pattern.replaceAll('{version}', version.replace(/^v/, '')).replaceAll('{tag}', tag);
  const re = new RegExp(`^${expanded.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return assets.find((a) => re.test(a.name)) ?? null;
}

/**
 * Whether the download will be checked: a checksum in the config, a SHA256SUMS in the release, or a digest
 * (or <asset>.sha256) for the asset the config picks. A source archive has no digest.
 */
function isVerified(component: Component, asset: Asset | null, assets: Asset[]): boolean {
  if (component.config.checksum) return true;
  if (assets.some((a) => /^SHA256SUMS(\.txt)?$/i.test(a.name))) return true;
  return Boolean(asset && (asset.digest || assets.some((a) => a.name === `${asset.name}.sha256`)));
}

/** An http(s) link only: a URL from an upstream answer is never followed as `javascript:` or `file:`. */
function safeLink(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

/** What is downloaded, for people: its size when published, else what kind of download it is. */
function downloadSize(component: Component, asset: Asset | null): string {
  if (asset?.size) return formatBytes(asset.size);
  if (asset) return 'Not published';
  if (component.method === 'git') return 'A git fetch (its size is not known in advance)';
  if (component.method === 'npm' || component.method === 'npm_env') return 'npm package (the registry publishes no size)';
  if (component.method === 'pip' || component.method === 'pip_env') return 'Python package (pip fetches it)';
  return 'Source archive (size not published)';
}

/** What makes the download trustworthy, per method: each says what is checked, or that nothing is. */
function verification(component: Component, verified: boolean, commit: string | undefined): string {
  if (component.method === 'git') return commit ? `The commit id: git checks out exactly ${commit}` : 'The commit id: git checks out exactly the commit the check found';
  if (component.method === 'npm' || component.method === 'npm_env') return "The registry's integrity hash (sha512): npm checks the package against it";
  if (component.method === 'pip' || component.method === 'pip_env') return 'The sha256 the index publishes for each file: pip checks the download against it';
  if (component.method === 'openwebui') return 'Fetched from the release page over HTTPS; no checksum is published';
  if (verified) return 'Checksum published: the download is verified';
  return component.config.require_checksum ? 'Required, but no checksum is published' : 'No checksum published: not verified';
}

/** A full id (a commit) in full, with a button that copies it. */
function CopyableId({ value }: { value: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'selected'>('idle');
  const code = useRef<HTMLElement>(null);
  // Where the clipboard is refused (no permission, an insecure origin), the id is selected for Ctrl+C.
  const selectIt = () => {
    const node = code.current;
    const selection = window.getSelection();
    if (!node || !selection) return;
    const range = document.createRange();
    range.selectNodeContents(node);
    selection.removeAllRanges();
    selection.addRange(range);
    setState('selected');
  };
  return (
    <span className="copyable">
      <code ref={code} className="mono break-all">
        {value}
      </code>
      <button
        type="button"
        className="button button-small"
        aria-label={state === 'copied' ? 'Copied' : `Copy ${value}`}
        onClick={() => {
          if (!navigator.clipboard) return selectIt();
          navigator.clipboard.writeText(value).then(() => setState('copied'), selectIt);
        }}
      >
        {state === 'copied' ? 'Copied' : state === 'selected' ? 'Selected: press Ctrl+C' : 'Copy'}
      </button>
    </span>
  );
}

const isCommitId = (v: string | null | undefined): v is string => typeof v === 'string' && /^[0-9a-f]{40,64}$/i.test(v);

/** Why a pending update is flagged: the advisories it fixes (with links) and what makes it breaking. */
function RiskExplained({ risk }: { risk: RiskInfo }) {
  const breaking = risk.flags.includes('breaking') ? risk.reasons.filter((r) => !/^fixes\b/i.test(r)) : [];
  if (!risk.flags.includes('security') && breaking.length === 0) return null;
  return (
    <section aria-label="Why it is flagged" className="risk-explained">
      {risk.flags.includes('security') ? (
        <div className="callout callout-danger">
          <strong>Security:</strong> this update fixes{' '}
          {risk.advisories.length === 0
            ? 'a known vulnerability (named in its release notes)'
            : risk.advisories.map((a, i) => {
                const link = safeLink(a.url);
                return (
                  <span key={a.id}>
                    {i > 0 ? ', ' : ''}
                    {link ? (
                      <a href={link} target="_blank" rel="noreferrer">
                        {a.id}
                      </a>
                    ) : (
                      <span className="mono">{a.id}</span>
                    )}
                    {a.severity ? ` (${a.severity})` : ''}
                    {a.title ? ` — ${a.title}` : ''}
                  </span>
                );
              })}
          .
        </div>
      ) : null}
      {breaking.length > 0 ? (
        <div className="callout callout-warning">
          <strong>Breaking:</strong> {breaking.join('; ')}.
        </div>
      ) : null}
    </section>
  );
}

/** What an update would bring: release notes, why it counts as newer, size, whether the download is verified. */
export function UpdateDetailsDialog({ component, onClose }: { component: Component; onClose(): void }) {
  const check = useAppStore(selectCheck(component.id));
  const updateComponents = useAppStore((s) => s.updateComponents);
  const skipVersion = useAppStore((s) => s.skipVersion);
  const holdComponent = useAppStore((s) => s.holdComponent);
  const [choosing, setChoosing] = useState(false);
  const choose = (action: () => Promise<void>) => async () => {
    setChoosing(true);
    await action();
    setChoosing(false);
  };
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
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          {check?.skipped_version ? (
            <button type="button" className="button" disabled={choosing} onClick={choose(() => skipVersion(component.id, null))}>
              Unskip
            </button>
          ) : null}
          {held ? (
            <button type="button" className="button" disabled={choosing} onClick={choose(() => holdComponent(component.id, false))}>
              Release hold
            </button>
          ) : component.method !== null ? (
            <button type="button" className="button" disabled={choosing} title="Keep the installed version: no update installs until you release it" onClick={choose(() => holdComponent(component.id, true))}>
              Hold
            </button>
          ) : null}
          {check?.update_available && !held && check.latest ? (
            <button type="button" className="button" disabled={choosing} title={`Do not offer ${check.latest}; a newer version will be offered`} onClick={choose(() => skipVersion(component.id, check.latest))}>
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
      }
    >
      <UpdateFacts component={component} check={check} asset={asset} verified={verified} />
      {check?.downgrade_refused && check.latest && component.method !== null && !held ? (
        <div className="callout callout-warning">
          <strong>Not offered: lower.</strong> {check.latest} is lower than {check.installed ?? 'what is installed'} or a version seen before on this channel, so it is not offered as an update. If you want it anyway (a release was pulled, or you need to go back), install it as a downgrade; a backup is taken first, as for any update.{' '}
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
          <strong>{check.update_available ? 'Why this is an update:' : 'Comparison:'}</strong> <span className="mono">{check.explanation}</span>
        </p>
      ) : null}
      {attention ? (
        <div className="callout callout-danger" role="note">
          <strong>Needs attention:</strong> {attention.reason}. {attention.action}{' '}
          <button type="button" className="button button-small" {...offline} onClick={() => void resolveAttention(component.id)}>
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
              <strong>{u.flag === 'security' ? 'Security unknown:' : 'Breaking unknown:'}</strong> {u.message} <code className="error-code">{u.code}</code>
            </p>
          ))
        : null}
      {held ? (
        <p className="callout callout-warning">
          <strong>Held:</strong> you hold {component.name} at <span className="mono">{check?.held_version ?? 'its installed version'}</span>. Update all, automatic updates and Update now leave it alone until you release the hold.
        </p>
      ) : null}
      {check?.skipped_version ? (
        <p className="callout">
          <strong>Skipped:</strong> you chose to skip <span className="mono">{check.skipped_version}</span>. A newer version will be offered again.
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
      {schedule && component.method !== null && component.source.kind === 'settings' ? <ScheduleForm id={component.id} schedule={schedule} /> : null}
    </Dialog>
  );
}

/** The facts at the top of the details: installed, latest, when checked, kind, and what a download would be. */
function UpdateFacts({ component, check, asset, verified }: { component: Component; check: CheckResult | undefined; asset: Asset | null; verified: boolean }) {
  const target = check?.target ?? null;
  const installed = check?.installed ?? component.config.current ?? null;
  return (
    <dl className="facts">
      <div>
        <dt>Installed</dt>
        <dd className="mono">{isCommitId(installed) ? <CopyableId value={installed} /> : (installed ?? '—')}</dd>
      </div>
      <div>
        <dt>Latest on {check?.channel ?? component.channel}</dt>
        <dd className="mono">
          {isCommitId(check?.latest) ? <CopyableId value={check.latest} /> : (check?.latest ?? '—')}
          {check?.prerelease ? ' (prerelease)' : ''}
        </dd>
      </div>
      <div>
        <dt>Checked</dt>
        <dd>
          {check?.error && check.failed_at
            ? `failed ${formatRelative(check.failed_at)}${check.checked_at ? `; last success ${formatRelative(check.checked_at)}` : ''}`
            : check?.checked_at
              ? formatRelative(check.checked_at)
              : 'Not yet'}
        </dd>
      </div>
      <div>
        <dt>Kind</dt>
        <dd>
          {component.type}
          {component.method ? ` · ${component.method}` : ''}
        </dd>
      </div>
      {target && component.method !== null ? (
        <>
          <div>
            <dt>Download</dt>
            <dd>{downloadSize(component, asset)}</dd>
          </div>
          <div>
            <dt>Verification</dt>
            <dd>{verification(component, verified, target.commit ?? (isCommitId(check?.latest) ? check.latest : undefined))}</dd>
          </div>
        </>
      ) : null}
    </dl>
  );
}

/** The release notes of the versions an update brings, each with its release page when it has one. */
function ReleaseNotes({ notes, updateAvailable }: { notes: ReleaseNote[]; updateAvailable: boolean }) {
  return notes.length > 0 ? (
    <section aria-label="Release notes" className="notes">
      <h3 className="section-title">Release notes</h3>
      {notes.map((n) => (
        <article key={n.version} className="note">
          <header className="note-head">
            <strong>{n.name || n.version}</strong>
            {n.published_at ? <span className="muted small">{formatDate(n.published_at)}</span> : null}
            {safeLink(n.url) ? (
              <a className="small" href={safeLink(n.url) ?? undefined} target="_blank" rel="noreferrer" aria-label={`Release page of ${n.name || n.version}`}>
                Release page
              </a>
            ) : null}
          </header>
          {n.body.trim() ? <Markdown source={n.body} /> : <p className="muted">No notes for this release.</p>}
        </article>
      ))}
    </section>
  ) : updateAvailable ? (
    <p className="muted">The release source publishes no notes for these versions.</p>
  ) : null;
}

/** Automatic updates: on or off, the maintenance window, and how old a release must be first. */
function ScheduleForm({ id, schedule }: { id: string; schedule: ComponentSchedule }) {
  const saveSchedule = useAppStore((s) => s.saveSchedule);
  const [enabled, setEnabled] = useState(schedule.policy === 'auto');
  const [window, setWindow] = useState(schedule.window);
  const [minAge, setMinAge] = useState(schedule.min_release_age ?? '');
  const [error, setError] = useState<ErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section aria-label="Automatic updates" className="schedule">
      <h3 className="section-title">Automatic updates</h3>
      <label className="checkbox">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Install updates automatically in the maintenance window
      </label>
      <div className="form-grid">
        <Field label="Maintenance window" hint={schedule.window_error ?? schedule.window_description} error={error && /window/i.test(error.message) ? error.message : null}>
          <input value={window} onChange={(e) => setWindow(e.target.value)} placeholder="daily 03:00 for 2h" spellCheck={false} autoComplete="off" />
        </Field>
        <Field label="Minimum release age" hint="A release must be this old first, e.g. 3d." error={error && /release.age/i.test(error.message) ? error.message : null}>
          <input value={minAge} onChange={(e) => setMinAge(e.target.value)} placeholder="3d" spellCheck={false} autoComplete="off" />
        </Field>
      </div>
      <p className="muted small">
        {schedule.next_check_at ? `Next check ${formatRelative(schedule.next_check_at)}. ` : ''}
        An update usually takes {formatDuration(schedule.estimated_duration_ms)}.
      </p>
      {error && !/window|release.age/i.test(error.message) ? <ErrorMessage title="Not saved" error={error} /> : null}
      <div>
        <button
          type="button"
          className="button"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            const e = await saveSchedule(id, { enabled, window: window.trim() || null, min_release_age: minAge.trim() || null });
            setBusy(false);
            setError(e);
          }}
        >
          Save schedule
        </button>
      </div>
    </section>
  );
}
