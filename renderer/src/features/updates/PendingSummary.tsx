import type { ComponentRow } from '../../store/selectors/components-selectors';
import { Icon } from '../../ui/Icon';

/** The updates waiting, at a glance, with one button for all of them. */
export function PendingSummary({
  pending,
  offline,
  onUpdateAll,
}: {
  pending: ComponentRow[];
  offline: { disabled: boolean; title: string | undefined };
  onUpdateAll(): void;
}) {
  if (pending.length === 0) return null;
  const shown = pending.slice(0, 4);
  return (
    <section className="callout callout-accent pending" aria-labelledby="pending-title">
      <div>
        <h2 id="pending-title" className="callout-title">
          <Icon name="download" /> {pending.length === 1 ? '1 update pending' : `${pending.length} updates pending`}
        </h2>
        <ul className="pending-list">
          {shown.map((p) => (
            <li key={p.id}>
              <strong>{p.name}</strong> <span className="mono">{p.installed ?? '?'}</span> →{' '}
              <span className="mono latest-new">{p.latest}</span>
            </li>
          ))}
          {pending.length > shown.length ? <li className="muted">and {pending.length - shown.length} more</li> : null}
        </ul>
        <p className="muted small">A backup is taken before each update; a failed update is rolled back.</p>
      </div>
      <button type="button" className="button button-primary" {...offline} onClick={onUpdateAll}>
        Update all
      </button>
    </section>
  );
}
