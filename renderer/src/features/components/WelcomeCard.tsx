import { Icon } from '../../ui/Icon';
import { useOffline } from '../../ui/use-offline';

interface WelcomeCardProps {
  /** Upkeep tracks itself already (first run), or nothing is tracked. */
  tracksItself: boolean;
  onFind(): void;
  onAdd(): void;
  onImport(): void;
  onDismiss(): void;
}

/** First run: what Upkeep does, and the ways to tell it what to look after. */
export function WelcomeCard({ tracksItself, onFind, onAdd, onImport, onDismiss }: WelcomeCardProps) {
  const offline = useOffline();
  return (
    <section className="callout welcome" aria-labelledby="welcome-title">
      <div className="welcome-head">
        <h2 id="welcome-title" className="welcome-title">
          Welcome to Upkeep
        </h2>
        <button type="button" className="icon-button" aria-label="Dismiss welcome" title="Dismiss" onClick={onDismiss}>
          <span aria-hidden="true">×</span>
        </button>
      </div>
      <p className="welcome-text">
        Upkeep watches the software you run for new releases and updates it with one click, taking a backup first so
        that any update can be rolled back.{' '}
        {tracksItself
          ? 'So far it only looks after itself: tell it what else is installed on this machine.'
          : 'Nothing is tracked yet: tell it what is installed on this machine.'}
      </p>
      <div className="welcome-actions">
        <button type="button" className="button button-primary" {...offline} onClick={onFind}>
          <Icon name="search" /> Find installed software
        </button>
        <button type="button" className="button" {...offline} onClick={onAdd}>
          <Icon name="plus" /> Add component
        </button>
        <button type="button" className="button" {...offline} onClick={onImport}>
          <Icon name="upload" /> Import from OctoPrint
        </button>
      </div>
      <p className="muted small welcome-hint">
        Find installed software looks at global npm packages, a Python environment and a folder of git checkouts; Add
        component starts from a template.
      </p>
    </section>
  );
}
