import { useState, type FormEvent } from 'react';
import type { BackupInfo, BackupType, Component, ErrorShape } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { BACKUP_TYPES } from '../../store/backups-slice';
import { isOneOf } from '../../../../shared/guards';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { Dialog } from '../../ui/Dialog';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { Field } from '../../ui/Field';
import { formatBytes, formatDate } from '../../ui/format';
import { useOffline } from '../../ui/use-offline';

const TYPE_TEXT: Record<BackupType, string> = {
  full: 'the whole folder',
  database: 'the database files',
  config: 'the configuration files',
  data: 'the data files',
};

export function RestoreBackupDialog({
  backup,
  component,
  onClose,
}: {
  backup: BackupInfo;
  component: Component | undefined;
  onClose(): void;
}) {
  const restoreBackup = useAppStore((s) => s.restoreBackup);
  const name = component?.name ?? backup.component;
  const folder = component?.config.folder;
  const paths = backup.type === 'full' ? [] : (component?.config.backup?.[backup.type] ?? []);
  return (
    <ConfirmDialog
      title={`Restore ${backup.name || backup.id}?`}
      confirmLabel="Restore"
      failedTitle="Not restored"
      size="medium"
      onConfirm={() => restoreBackup(backup.id)}
      onClose={onClose}
    >
      <p>
        This replaces {TYPE_TEXT[backup.type]} of <strong>{name}</strong>
        {folder ? (
          <>
            {' '}
            in <span className="mono">{folder}</span>
          </>
        ) : null}{' '}
        with the backup from {formatDate(backup.created_at)}
        {backup.component_version ? ` (version ${backup.component_version})` : ''}: {backup.file_count} files,{' '}
        {formatBytes(backup.size)}.
      </p>
      {paths.length > 0 ? (
        <p>
          Paths replaced: <span className="mono">{paths.join(', ')}</span>
        </p>
      ) : null}
      <p className="callout callout-accent">
        A safety backup of the current state is taken first, so this restore can itself be undone.
      </p>
    </ConfirmDialog>
  );
}

export function DeleteBackupDialog({ backup, onClose }: { backup: BackupInfo; onClose(): void }) {
  const deleteBackup = useAppStore((s) => s.deleteBackup);
  return (
    <ConfirmDialog
      title={`Delete ${backup.name || backup.id}?`}
      confirmLabel="Delete"
      failedTitle="Not deleted"
      onConfirm={() => deleteBackup(backup.id)}
      onClose={onClose}
    >
      <p>
        The archive ({formatBytes(backup.compressed_size)}) and its manifest are removed for good.
        {backup.reason === 'pre-update' ? ' The update it was taken before can then no longer be rolled back.' : ''}
      </p>
    </ConfirmDialog>
  );
}

export function CreateBackupDialog({ initialComponent, onClose }: { initialComponent?: string; onClose(): void }) {
  const components = useAppStore((s) => s.components);
  const createBackup = useAppStore((s) => s.createBackup);
  const [component, setComponent] = useState(initialComponent ?? components[0]?.id ?? '');
  const [type, setType] = useState<BackupType>('full');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [includeLogs, setIncludeLogs] = useState(false);
  const [compress, setCompress] = useState(true);
  const [error, setError] = useState<ErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  const offline = useOffline();
  const selected = components.find((c) => c.id === component);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const result = await createBackup({
      component,
      type,
      name: name.trim(),
      description: description.trim(),
      includeLogs,
      compress,
    });
    setBusy(false);
    if (result) setError(result);
    else onClose();
  }

  return (
    <Dialog
      title="Create backup"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="create-backup-form"
            className="button button-primary"
            title={offline.title}
            disabled={offline.disabled || busy || !component}
          >
            Create backup
          </button>
        </>
      }
    >
      <form id="create-backup-form" className="form-stack" onSubmit={submit}>
        <Field label="Component" error={error?.code === 'NOT_FOUND' ? error.message : null}>
          <select value={component} onChange={(e) => setComponent(e.target.value)}>
            {components.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="Type"
          hint={
            type === 'full'
              ? `The whole folder${selected?.config.folder ? ` (${selected.config.folder})` : ''}.`
              : `The ${type} paths from the component's backup settings.`
          }
        >
          <select
            value={type}
            onChange={(e) => (isOneOf(e.target.value, BACKUP_TYPES) ? setType(e.target.value) : undefined)}
          >
            <option value="full">Full</option>
            <option value="database">Database</option>
            <option value="config">Config</option>
            <option value="data">Data</option>
          </select>
        </Field>
        <Field label="Name" hint="Optional; a name from the date is used otherwise.">
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
        </Field>
        <Field label="Description">
          <textarea rows={3} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={includeLogs} onChange={(e) => setIncludeLogs(e.target.checked)} />
          Include log files
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={compress} onChange={(e) => setCompress(e.target.checked)} />
          Compress (zstd)
        </label>
        {error && error.code !== 'NOT_FOUND' ? <ErrorMessage title="No backup taken" error={error} /> : null}
      </form>
    </Dialog>
  );
}
