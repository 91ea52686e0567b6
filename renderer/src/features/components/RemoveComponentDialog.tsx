import { useState } from 'react';
import type { Component } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { Dialog } from '../../ui/Dialog';

export function RemoveComponentDialog({ component, onClose }: { component: Component; onClose(): void }) {
  const removeComponent = useAppStore((s) => s.removeComponent);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog
      title={`Remove ${component.name}?`}
      onClose={onClose}
      size="small"
      footer={
        <>
          <button type="button" className="button" onClick={onClose} data-autofocus>
            Cancel
          </button>
          <button
            type="button"
            className="button button-danger"
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              const error = await removeComponent(component.id);
              setBusy(false);
              if (!error) onClose();
            }}
          >
            Remove
          </button>
        </>
      }
    >
      <p>
        Upkeep stops tracking <strong>{component.name}</strong> (<code>{component.id}</code>). Nothing is deleted from disk, and its backups and
        history are kept.
      </p>
    </Dialog>
  );
}
