import type { CheckTrouble } from '../../store/selectors/check-trouble';
import { formatClock } from '../../store/selectors/check-trouble';
import { Icon } from '../../ui/Icon';

interface CheckTroubleBannersProps {
  trouble: CheckTrouble;
  checking: boolean;
  githubTokenSet: boolean;
  onCheckAgain(ids: string[]): void;
  onOpenTokenSettings(): void;
}

function names(list: string[]): string {
  if (list.length <= 3) return list.join(', ');
  return `${list.slice(0, 3).join(', ')} and ${list.length - 3} more`;
}

/** Check failures that share one reason, explained once above the table instead of row by row. */
export function CheckTroubleBanners({
  trouble,
  checking,
  githubTokenSet,
  onCheckAgain,
  onOpenTokenSettings,
}: CheckTroubleBannersProps) {
  const { offline, sources, rateLimits, retryIds } = trouble;
  return (
    <>
      {offline ? (
        <section className="callout callout-warning trouble" aria-labelledby="offline-title">
          <div>
            <h2 id="offline-title" className="callout-title">
              <Icon name="alert" /> Upkeep can't reach the internet.
            </h2>
            <p className="trouble-text">
              Versions can't be checked until it can; backups, restores and rollbacks of what is already here still
              work. <code className="error-code">NETWORK</code>
            </p>
          </div>
          <button type="button" className="button" disabled={checking} onClick={() => onCheckAgain(retryIds)}>
            <Icon name="refresh" /> Check again
          </button>
        </section>
      ) : null}
      {sources.length > 0 ? (
        <section className="callout callout-warning trouble" aria-labelledby="sources-title">
          <div>
            <h2 id="sources-title" className="callout-title">
              <Icon name="alert" />{' '}
              {sources.length === 1
                ? `${sources[0]!.host} ${sources[0]!.what}`
                : `${sources.length} sources can't be reached`}
            </h2>
            <ul className="problem-list">
              {sources.map((s) => (
                <li key={s.host}>
                  <span className="mono">{s.host}</span> {s.what} <code className="error-code">{s.code}</code>:{' '}
                  {names(s.components)} can't be checked.
                </li>
              ))}
            </ul>
            <p className="muted small trouble-text">
              Everything else is checked as usual; these are tried again at the next check.
            </p>
          </div>
          <button type="button" className="button" disabled={checking} onClick={() => onCheckAgain(retryIds)}>
            <Icon name="refresh" /> Check again
          </button>
        </section>
      ) : null}
      {rateLimits.map((limit) => {
        const until = limit.retryAt === null ? null : formatClock(limit.retryAt);
        return (
          <section key={limit.host} className="callout callout-warning trouble" aria-labelledby={`rate-${limit.host}`}>
            <div>
              <h2 id={`rate-${limit.host}`} className="callout-title">
                <Icon name="alert" />{' '}
                {limit.github ? "GitHub's rate limit is used up" : `${limit.host} is limiting requests`}
                {until ? ` until ${until}` : ''}
              </h2>
              <p className="trouble-text">
                {limit.github
                  ? githubTokenSet
                    ? `The stored token's hourly allowance is spent; ${names(limit.components)} can be checked again ${until ? `at ${until}` : 'when GitHub resets it'}.`
                    : `Without a token GitHub answers 60 requests an hour from one address; ${names(limit.components)} can be checked again ${until ? `at ${until}` : 'when it resets'}. A GitHub token raises the limit to 5,000 an hour.`
                  : `${names(limit.components)} can be checked again ${until ? `at ${until}` : 'later'}.`}{' '}
                <code className="error-code">RATE_LIMITED</code>
              </p>
            </div>
            {limit.github ? (
              <button type="button" className="button" onClick={onOpenTokenSettings}>
                <Icon name="settings" /> {githubTokenSet ? 'Change the GitHub token' : 'Add a GitHub token'}
              </button>
            ) : null}
          </section>
        );
      })}
    </>
  );
}
