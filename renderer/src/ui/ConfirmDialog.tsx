import { useState, type ReactNode } from 'react';
import type { ErrorShape } from '../../../shared/types';
import { Dialog } from './Dialog';
import { ErrorMessage } from './ErrorMessage';
import { useOffline } from './use-offline';

/**
 * A question with Cancel (focused first) and one danger button named for what it does. The action
 * returns an error to show in place, or nothing when it is done; `closeFirst` closes the dialog
 * before a long action whose progress is shown elsewhere.
 */
export function ConfirmDialog(props: {
  title: string;
  confirmLabel: string;
  size?: 'small' | 'medium';
  failedTitle?: string;
  closeFirst?: boolean;
  onConfirm(): Promise<ErrorShape | null | undefined | void>;
  onClose(): void;
  children: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const offline = useOffline();
  const [error, setError] = useState<ErrorShape | null>(null);
  const confirm = async () => {
    setBusy(true);
    if (props.closeFirst) props.onClose();
    const result = await props.onConfirm();
    if (props.closeFirst) return;
    setBusy(false);
    if (result) setError(result);
    else props.onClose();
  };
  return (
    <Dialog
      title={props.title}
      onClose={props.onClose}
      size={props.size ?? 'small'}
      footer={
        <>
          <button type="button" className="button" onClick={props.onClose} data-autofocus>
            Cancel
          </button>
          <button
            type="button"
            className="button button-danger"
            disabled={busy || offline.disabled}
            title={offline.title}
            onClick={() => void confirm()}
          >
            {props.confirmLabel}
          </button>
        </>
      }
    >
      {props.children}
      {error ? (
        <ErrorMessage title={props.failedTitle ?? `Not done: ${props.confirmLabel.toLowerCase()}`} error={error} />
      ) : null}
    </Dialog>
  );
}
