import { useEffect, useId, useState, type Dispatch, type FormEvent, type SetStateAction } from 'react';
import type { DiscoveryProposal, ErrorShape } from '../../../../shared/types';
import { useAppStore } from '../../store';
import type { AppState } from '../../store/types';
import { Dialog } from '../../ui/Dialog';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { Field } from '../../ui/Field';
import { useOffline } from '../../ui/use-offline';

const SOURCE_LABEL: Record<DiscoveryProposal['source'], string> = {
  npm_global: 'npm (global)',
  python: 'Python package',
  git: 'git checkout',
};

/** Look for software already on this machine (global npm packages, a Python environment, git checkouts) and track what you pick. */
export function DiscoverDialog({ onClose }: { onClose(): void }) {
  const defaults = useAppStore((s) => s.discoveryDefaults);
  const result = useAppStore((s) => s.discovery);
  const loadDefaults = useAppStore((s) => s.loadDiscoveryDefaults);
  const discover = useAppStore((s) => s.discover);
  const addDiscovered = useAppStore((s) => s.addDiscovered);
  const [npmGlobal, setNpmGlobal] = useState(false);
  const [python, setPython] = useState('');
  const [gitDir, setGitDir] = useState('');
  const [chosen, setChosen] = useState<Record<string, boolean>>({});
  const [error, setError] = useState<ErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  const offline = useOffline();
  const pythonList = useId();
  const gitList = useId();

  useEffect(() => {
    void loadDefaults();
  }, [loadDefaults]);

  async function search(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setChosen({});
    const e = await discover({ npmGlobal, python, gitDir });
    setBusy(false);
    setError(e);
  }

  const picked = result?.proposals.filter((p) => !p.already_tracked && chosen[p.id]) ?? [];

  return (
    <Dialog
      title="Find installed software"
      onClose={onClose}
      size="large"
      description="Upkeep looks at what is installed and proposes components; nothing is added until you choose."
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="discover-form"
            className="button"
            title={offline.title}
            disabled={offline.disabled || busy}
          >
            Search
          </button>
          <button
            type="button"
            className="button button-primary"
            disabled={busy || picked.length === 0}
            onClick={async () => {
              setBusy(true);
              const e = await addDiscovered(picked);
              setBusy(false);
              if (e) setError(e);
              else onClose();
            }}
          >
            Add selected ({picked.length})
          </button>
        </>
      }
    >
      <form id="discover-form" className="form-grid" onSubmit={search}>
        <div className="form-wide">
          <label className="checkbox">
            <input
              type="checkbox"
              checked={npmGlobal}
              onChange={(e) => setNpmGlobal(e.target.checked)}
              disabled={defaults?.npm === false}
            />
            Global npm packages{defaults?.npm === false ? ' (npm is not on PATH)' : ''}
          </label>
        </div>
        <Field
          label="Python interpreter or virtualenv"
          hint="Its installed packages are proposed with their PyPI checks."
        >
          <input
            value={python}
            onChange={(e) => setPython(e.target.value)}
            list={pythonList}
            placeholder={defaults?.python[0] ?? '/usr/bin/python3'}
            spellCheck={false}
            autoComplete="off"
          />
        </Field>
        <datalist id={pythonList}>
          {defaults?.python.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
        <Field label="Folder with git checkouts" hint="Searched a few levels deep.">
          <input
            value={gitDir}
            onChange={(e) => setGitDir(e.target.value)}
            list={gitList}
            placeholder={defaults?.git_dirs[0] ?? '/srv'}
            spellCheck={false}
            autoComplete="off"
          />
        </Field>
        <datalist id={gitList}>
          {defaults?.git_dirs.map((d) => (
            <option key={d} value={d} />
          ))}
        </datalist>
      </form>
      {error ? <ErrorMessage title="Search failed" error={error} /> : null}
      {result ? <DiscoveryFound result={result} chosen={chosen} setChosen={setChosen} /> : null}
    </Dialog>
  );
}

/** What the search found: each source's errors, and the proposals to pick (those already tracked shown, not pickable). */
function DiscoveryFound({
  result,
  chosen,
  setChosen,
}: {
  result: NonNullable<AppState['discovery']>;
  chosen: Record<string, boolean>;
  setChosen: Dispatch<SetStateAction<Record<string, boolean>>>;
}) {
  return (
    <section aria-label="Found" className="found">
      {result.errors.map((e) => (
        <ErrorMessage
          key={`${e.source}-${e.path ?? ''}`}
          title={`${SOURCE_LABEL[e.source]}${e.path ? ` (${e.path})` : ''}`}
          error={{ code: e.code, message: e.message }}
        />
      ))}
      {result.proposals.length === 0 ? <p className="muted">Nothing found there.</p> : null}
      <ul className="found-list">
        {result.proposals.map((p) => (
          <li key={`${p.source}-${p.id}`}>
            <label className="checkbox">
              <input
                type="checkbox"
                disabled={p.already_tracked}
                checked={p.already_tracked || (chosen[p.id] ?? false)}
                onChange={(e) => setChosen((c) => ({ ...c, [p.id]: e.target.checked }))}
              />
              <span>
                <strong>{p.config.name ?? p.id}</strong> <span className="muted small">{SOURCE_LABEL[p.source]}</span>
                {p.installed ? <span className="mono small"> {p.installed}</span> : null}
                {p.already_tracked ? <span className="muted small"> · already tracked</span> : null}
                {p.note ? <span className="found-note">{p.note}</span> : null}
              </span>
            </label>
          </li>
        ))}
      </ul>
    </section>
  );
}
