import { EmptyState } from '../../ui/EmptyState';

export function HistoryView() {
  return (
    <section className="view" aria-labelledby="view-title">
      <header className="view-header">
        <div>
          <h1 id="view-title">History</h1>
          <p className="view-subtitle">Every update, with its outcome and the backup to roll back to.</p>
        </div>
      </header>
      <div className="table-card">
        <EmptyState icon="history" title="No updates yet" />
      </div>
    </section>
  );
}
