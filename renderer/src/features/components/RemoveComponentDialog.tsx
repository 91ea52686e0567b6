import type { Component } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { ConfirmDialog } from '../../ui/ConfirmDialog';

export function RemoveComponentDialog({ component, onClose }: { component: Component; onClose(): void }) {
  const removeComponent = useAppStore((s) => s.removeComponent);
  return (
    <ConfirmDialog
      title={`Remove ${component.name}?`}
      confirmLabel="Remove"
      failedTitle="Not removed"
      onConfirm={() => removeComponent(component.id)}
      onClose={onClose}
    >
      <p>
        Upkeep stops tracking <strong>{component.name}</strong> (<code>{component.id}</code>). Nothing is deleted from
        disk, and its backups and history are kept.
      </p>
    </ConfirmDialog>
  );
}
