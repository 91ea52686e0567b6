import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { validateComponent } from '../../../electron/core/config/validate';
import { createServices, type Services } from '../../../electron/core/services';
import { tempDir } from '../../helpers/temp';

export interface BackupWorld {
  root: string;
  home: string;
  folder: string;
  services: Services;
}

/** A data directory and one component `demo` whose folder is `<root>/apps/demo`. */
export function backupWorld(
  backup: Record<string, string[]> = { database: ['db/*.db'], config: ['.env', 'config/'], data: ['uploads/'] },
  extra: Record<string, unknown> = {},
): BackupWorld {
  const root = tempDir('upkeep-backups-');
  const home = path.join(root, 'home');
  const folder = path.join(root, 'apps', 'demo');
  mkdirSync(folder, { recursive: true });
  const services = createServices({ home, host: 'cli' });
  services.components.add({
    demo: validateComponent('demo', {
      name: 'Demo',
      type: 'never_current',
      current: '1.2.3',
      folder,
      backup,
      ...extra,
    }),
  });
  return { root, home, folder, services };
}
