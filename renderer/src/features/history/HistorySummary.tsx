import type { selectHistorySummary } from '../../store/selectors/history-selectors';
import { formatDuration, formatRelative } from '../../ui/format';

/** Success rate, updates, rollbacks, failures and average duration per component (the first eight). */
export function HistorySummary({
  summary,
  nameOf,
}: {
  summary: ReturnType<typeof selectHistorySummary>;
  nameOf(id: string): string;
}) {
  return summary.length > 0 ? (
    <section aria-label="Success rate and duration per component" className="summary-grid">
      {summary.slice(0, 8).map((s) => (
        <article key={s.component} className="summary-card" aria-label={`Summary for ${nameOf(s.component)}`}>
          <div className="note-head">
            <strong>{nameOf(s.component)}</strong>
            <span className="muted small">{formatRelative(s.lastAt)}</span>
          </div>
          <div className="rate">
            {s.successRate === null ? '—' : `${Math.round(s.successRate * 100)}%`}
            <span className="muted small"> succeeded</span>
          </div>
          {s.successRate !== null ? (
            <div className="meter" aria-hidden="true">
              <div style={{ width: `${s.successRate * 100}%` }} />
            </div>
          ) : null}
          <p className="muted small">
            {s.updates} {s.updates === 1 ? 'update' : 'updates'}
            {s.rolledBack ? ` · ${s.rolledBack} rolled back` : ''}
            {s.failed ? ` · ${s.failed} failed` : ''} · average {formatDuration(s.averageMs)}
          </p>
        </article>
      ))}
    </section>
  ) : null;
}
