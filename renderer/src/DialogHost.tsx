import { CreateBackupDialog, DeleteBackupDialog, RestoreBackupDialog } from './features/backups/BackupDialogs';
import { ComponentDialog } from './features/components/ComponentDialog';
import { DiscoverDialog } from './features/components/DiscoverDialog';
import { ImportOctoprintDialog } from './features/components/ImportOctoprintDialog';
import { RemoveComponentDialog } from './features/components/RemoveComponentDialog';
import { RollbackDialog } from './features/history/RollbackDialog';
import { HostsDialog } from './features/hosts/HostsDialog';
import { RolloutDialog } from './features/hosts/RolloutDialog';
import { RunLogDialog } from './features/history/RunLogDialog';
import { SettingsDialog } from './features/settings/SettingsDialog';
import { UpdateAllDialog } from './features/updates/UpdateAllDialog';
import { UpdateDetailsDialog } from './features/updates/UpdateDetailsDialog';
import { useAppStore } from './store';

/** Renders the one open dialog (ui slice); each dialog closes through the store. */
export function DialogHost() {
  const dialog = useAppStore((s) => s.dialog);
  const close = useAppStore((s) => s.closeDialog);
  const components = useAppStore((s) => s.components);
  const history = useAppStore((s) => s.history);
  const backups = useAppStore((s) => s.backups);
  const find = (id: string) => components.find((c) => c.id === id);

  switch (dialog.kind) {
    case 'settings':
      return <SettingsDialog focus={dialog.focus} onClose={close} />;
    case 'add-component':
      return <ComponentDialog onClose={close} />;
    case 'edit-component': {
      const c = find(dialog.id);
      return c ? <ComponentDialog key={c.id} component={c} onClose={close} /> : null;
    }
    case 'remove-component': {
      const c = find(dialog.id);
      return c ? <RemoveComponentDialog component={c} onClose={close} /> : null;
    }
    case 'import-octoprint':
      return <ImportOctoprintDialog onClose={close} />;
    case 'discover':
      return <DiscoverDialog onClose={close} />;
    case 'update-details': {
      const c = find(dialog.id);
      return c ? <UpdateDetailsDialog component={c} onClose={close} /> : null;
    }
    case 'update-all':
      return <UpdateAllDialog onClose={close} />;
    case 'hosts':
      return <HostsDialog onClose={close} />;
    case 'rollout':
      return <RolloutDialog component={dialog.component} canary={dialog.canary} onClose={close} />;
    case 'rollback': {
      const entry = history.find((e) => e.id === dialog.entryId);
      return entry ? <RollbackDialog entry={entry} onClose={close} /> : null;
    }
    case 'run-log': {
      const entry = history.find((e) => e.id === dialog.entryId);
      return entry ? <RunLogDialog entry={entry} onClose={close} /> : null;
    }
    case 'create-backup':
      return <CreateBackupDialog initialComponent={dialog.component} onClose={close} />;
    case 'restore-backup': {
      const b = backups.find((x) => x.id === dialog.backupId);
      return b ? <RestoreBackupDialog backup={b} component={find(b.component)} onClose={close} /> : null;
    }
    case 'delete-backup': {
      const b = backups.find((x) => x.id === dialog.backupId);
      return b ? <DeleteBackupDialog backup={b} onClose={close} /> : null;
    }
    default:
      return null;
  }
}
