import { useRef, useState } from 'react';
import type { CheckResult, Component, ReleaseNote, RiskInfo } from '../../../../shared/types';
import { formatBytes, formatDate, formatRelative } from '../../ui/format';
import { Markdown } from '../../ui/Markdown';

/** What the update details show of a release: its asset, verification, risks, facts and notes. */

export type Asset = { name: string; size?: number; digest?: string | null };

/** The release asset the config's `asset` pattern picks ({version}, {tag}, `*`); null for the source archive. */
export function pickAsset(component: Component, version: string, tag: string, assets: Asset[]): Asset | null {
  const pattern = component.config.asset;
  if (!pattern) return null;
  const expanded = pattern.replaceAll('{version}', version.replace(/^v/, '')).replaceAll('{tag}', tag);
  const re = new RegExp(
    `^${expanded
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return assets.find((a) => re.test(a.name)) ?? null;
}

/**
 * Whether the download will be checked: a checksum in the config, a SHA256SUMS in the release, or a digest
 * (or <asset>.sha256) for the asset the config picks. A source archive has no digest.
 */
export function isVerified(component: Component, asset: Asset | null, assets: Asset[]): boolean {
  if (component.config.checksum) return true;
  if (assets.some((a) => /^SHA256SUMS(\.txt)?$/i.test(a.name))) return true;
  return Boolean(asset && (asset.digest || assets.some((a) => a.name === `${asset.name}.sha256`)));
}

/** An http(s) link only: a URL from an upstream answer is never followed as `javascript:` or `file:`. */
export function safeLink(url: string | null | undefined): string | null {
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
  if (component.method === 'npm' || component.method === 'npm_env')
    return 'npm package (the registry publishes no size)';
  if (component.method === 'pip' || component.method === 'pip_env') return 'Python package (pip fetches it)';
  return 'Source archive (size not published)';
}

/** What makes the download trustworthy, per method: each says what is checked, or that nothing is. */
function verification(component: Component, verified: boolean, commit: string | undefined): string {
  if (component.method === 'git')
    return commit
      ? `The commit id: git checks out exactly ${commit}`
      : 'The commit id: git checks out exactly the commit the check found';
  if (component.method === 'npm' || component.method === 'npm_env')
    return "The registry's integrity hash (sha512): npm checks the package against it";
  if (component.method === 'pip' || component.method === 'pip_env')
    return 'The sha256 the index publishes for each file: pip checks the download against it';
  if (component.method === 'openwebui') return 'Fetched from the release page over HTTPS; no checksum is published';
  if (verified) return 'Checksum published: the download is verified';
  return component.config.require_checksum
    ? 'Required, but no checksum is published'
    : 'No checksum published: not verified';
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
export function RiskExplained({ risk }: { risk: RiskInfo }) {
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

/** The facts at the top of the details: installed, latest, when checked, kind, and what a download would be. */
export function UpdateFacts({
  component,
  check,
  asset,
  verified,
}: {
  component: Component;
  check: CheckResult | undefined;
  asset: Asset | null;
  verified: boolean;
}) {
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
            <dd>
              {verification(
                component,
                verified,
                target.commit ?? (isCommitId(check?.latest) ? check.latest : undefined),
              )}
            </dd>
          </div>
        </>
      ) : null}
    </dl>
  );
}

/** The release notes of the versions an update brings, each with its release page when it has one. */
export function ReleaseNotes({ notes, updateAvailable }: { notes: ReleaseNote[]; updateAvailable: boolean }) {
  return notes.length > 0 ? (
    <section aria-label="Release notes" className="notes">
      <h3 className="section-title">Release notes</h3>
      {notes.map((n) => (
        <article key={n.version} className="note">
          <header className="note-head">
            <strong>{n.name || n.version}</strong>
            {n.published_at ? <span className="muted small">{formatDate(n.published_at)}</span> : null}
            {safeLink(n.url) ? (
              <a
                className="small"
                href={safeLink(n.url) ?? undefined}
                target="_blank"
                rel="noreferrer"
                aria-label={`Release page of ${n.name || n.version}`}
              >
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
