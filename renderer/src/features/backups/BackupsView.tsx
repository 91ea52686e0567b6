import { EmptyState } from '../../ui/EmptyState';

export function BackupsView() {
  return (
    <section className="view" aria-labelledby="view-title">
      <header className="view-header">
        <div>
          <h1 id="view-title">Backups</h1>
          <p className="view-subtitle">Every update is preceded by a backup; you can also take one by hand.</p>
        </div>
      </header>
      <div className="table-card">
        <EmptyState icon="archive" title="No backups yet" />
      </div>
    </section>
  );
}
