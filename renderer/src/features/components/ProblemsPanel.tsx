import type { ConfigProblem } from '../../../../shared/types';
import { Icon } from '../../ui/Icon';

/** Config files or components that could not be loaded; everything else still works. */
export function ProblemsPanel({ problems }: { problems: ConfigProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <section className="callout callout-warning" aria-labelledby="problems-title">
      <h2 id="problems-title" className="callout-title">
        <Icon name="alert" />{' '}
        {problems.length === 1 ? 'A configuration problem' : `${problems.length} configuration problems`}
      </h2>
      <ul className="problem-list">
        {problems.map((p, i) => (
          <li key={`${p.file}-${p.component ?? ''}-${i}`}>
            <span className="mono">{p.file}</span>
            {p.component ? (
              <>
                {' '}
                · <span className="mono">{p.component}</span>
              </>
            ) : null}
            : {p.message} <code className="error-code">{p.code}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}
