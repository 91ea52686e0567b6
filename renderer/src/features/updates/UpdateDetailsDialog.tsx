import type { Component } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { selectCheck } from '../../store/selectors/updates-selectors';
import { Dialog } from '../../ui/Dialog';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { formatBytes, formatDate, formatRelative } from '../../ui/format';
import { Markdown } from '../../ui/Markdown';

/** What an update would bring: release notes, why it counts as newer, size, whether the download is verified. */
export function UpdateDetailsDialog({ component, onClose }: { component: Component; onClose(): void }) {
  const check = useAppStore(selectCheck(component.id));
  const updateComponents = useAppStore((s) => s.updateComponents);
  const target = check?.target ?? null;
  const notes = target?.notes ?? [];
  const assets = target?.assets ?? [];
  const size = assets.reduce((sum, a) => sum + (a.size ?? 0), 0);
  const verified = component.config.checksum !== undefined || assets.some((a) => a.digest) || assets.some((a) => /SHA256SUMS|\.sha256$/i.test(a.name));

  return (
    <Dialog
      title={`${component.name}`}
      onClose={onClose}
      size="large"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          {check?.update_available ? (
            <button
              type="button"
              className="button button-primary"
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
      <dl className="facts">
        <div>
          <dt>Installed</dt>
          <dd className="mono">{check?.installed ?? component.config.current ?? '—'}</dd>
        </div>
        <div>
          <dt>Latest on {check?.channel ?? component.channel}</dt>
          <dd className="mono">{check?.latest ?? '—'}</dd>
        </div>
        <div>
          <dt>Checked</dt>
          <dd>{check?.checked_at ? formatRelative(check.checked_at) : 'Not yet'}</dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd>
            {component.type}
            {component.method ? ` · ${component.method}` : ''}
          </dd>
        </div>
        {target ? (
          <>
            <div>
              <dt>Download size</dt>
              <dd>{size > 0 ? formatBytes(size) : 'Not published'}</dd>
            </div>
            <div>
              <dt>Verification</dt>
              <dd>{verified ? 'Checksum published: the download is verified' : component.config.require_checksum ? 'Required, but no checksum is published' : 'No checksum published: not verified'}</dd>
            </div>
          </>
        ) : null}
      </dl>
      {check?.explanation ? (
        <p className="explanation">
          <strong>Why this is an update:</strong> <span className="mono">{check.explanation}</span>
        </p>
      ) : null}
      {check?.error ? <ErrorMessage title="The last check failed" error={check.error} /> : null}
      {!check ? <p className="muted">Run “Check for updates” to see what is new.</p> : null}
      {notes.length > 0 ? (
        <section aria-label="Release notes" className="notes">
          <h3 className="section-title">Release notes</h3>
          {notes.map((n) => (
            <article key={n.version} className="note">
              <header className="note-head">
                <strong>{n.name || n.version}</strong>
                {n.published_at ? <span className="muted small">{formatDate(n.published_at)}</span> : null}
              </header>
              {n.body.trim() ? <Markdown source={n.body} /> : <p className="muted">No notes for this release.</p>}
            </article>
          ))}
        </section>
      ) : check?.update_available ? (
        <p className="muted">The release source publishes no notes for these versions.</p>
      ) : null}
    </Dialog>
  );
}
