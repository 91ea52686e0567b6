import type { ErrorShape } from '../../../shared/errors';

/** An error as people should see it: what happened and what to do, with its stable code. */
export function ErrorMessage({
  error,
  title,
  onDismiss,
}: {
  error: ErrorShape;
  title?: string;
  onDismiss?: () => void;
}) {
  return (
    <div className="error-message">
      <div className="error-text">
        {title ? <strong>{title}</strong> : null}
        <span className="error-body">{error.message}</span>
        <code className="error-code" aria-label={`Error code ${error.code}`}>
          {error.code}
        </code>
      </div>
      {onDismiss ? (
        <button type="button" className="icon-button" aria-label="Dismiss" onClick={onDismiss}>
          <span aria-hidden="true">×</span>
        </button>
      ) : null}
    </div>
  );
}
