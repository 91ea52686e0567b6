import { useAppStore } from '../../store';
import { RiskBadges } from './RiskBadges';

/**
 * The package list of an environment component (pip_env, npm_env, apt): one checkbox per package
 * that can move, its installed → target version (and the latest when a pin or range holds it back),
 * risk badges, and `Update selected`.
 */
export function PackagesPanel({ id }: { id: string }) {
  const check = useAppStore((s) => s.checks[id]);
  const name = useAppStore((s) => s.components.find((c) => c.id === id)?.name ?? id);
  const selection = useAppStore((s) => s.packageSelection[id]);
  const togglePackage = useAppStore((s) => s.togglePackage);
  const setPackageSelection = useAppStore((s) => s.setPackageSelection);
  const updateSelectedPackages = useAppStore((s) => s.updateSelectedPackages);
  const running = useAppStore((s) => s.runs[id]?.status === 'running' || s.runs[id]?.status === 'queued');
  const packages = check?.packages ?? [];
  const movable = packages.filter((p) => p.target !== p.installed);
  const chosen = selection ?? [];
  const headingId = `packages-title-${id}`;

  return (
    <section id={`packages-${id}`} className="packages-panel" aria-labelledby={headingId}>
      <header className="packages-header">
        <h2 id={headingId}>Packages of {name}</h2>
        <div className="toolbar">
          <button
            type="button"
            className="button button-small"
            disabled={movable.length === 0}
            onClick={() => setPackageSelection(id, chosen.length === movable.length ? [] : movable.map((p) => p.name))}
          >
            {chosen.length === movable.length && movable.length > 0 ? 'Select none' : 'Select all'}
          </button>
          <button
            type="button"
            className="button button-primary button-small"
            disabled={chosen.length === 0 || running}
            onClick={() => void updateSelectedPackages(id)}
          >
            Update selected
          </button>
        </div>
      </header>
      {packages.length === 0 ? (
        <p className="muted">{check ? 'Every package is current.' : 'Not checked yet.'}</p>
      ) : (
        <ul className="packages-list">
          {packages.map((p) => {
            const held = p.target === p.installed;
            return (
              <li key={p.name} className="packages-item">
                <label>
                  <input
                    type="checkbox"
                    checked={chosen.includes(p.name)}
                    disabled={held}
                    onChange={() => togglePackage(id, p.name)}
                    aria-label={`Select ${p.name}`}
                  />
                  <span className="mono">{p.name}</span>
                </label>
                <span className="mono">
                  {p.installed} → {held ? p.installed : p.target}
                  {p.latest !== p.target ? (
                    <span className="muted">
                      {' '}
                      (latest {p.latest}
                      {held ? ', held back' : ''})
                    </span>
                  ) : null}
                </span>
                <RiskBadges risk={p.risk} />
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
