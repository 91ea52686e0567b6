import { app, Menu, Notification, nativeImage, Tray, type BrowserWindow } from 'electron';
import path from 'node:path';
import { logger } from '../core/lib/log';
import type { Services } from '../core/services';

const log = logger('desktop.shell');

/**
 * The desktop app's presence outside its window: OS notifications for the engine's outcomes and a
 * tray icon whose tooltip and menu show how many updates are pending.
 */
export function startDesktopShell(options: {
  services: Services;
  window: () => BrowserWindow | undefined;
  iconDir: string;
}): () => void {
  const { services } = options;
  const pending = new Map<string, string>();
  for (const result of services.checks.cached()) {
    if (result.update_available && result.latest) pending.set(result.id, result.latest);
  }

  const nameOf = (id: string) => {
    try {
      return services.components.get(id).name;
    } catch {
      // A component removed since the event: named by its id.
      return id;
    }
  };
  const notify = (title: string, body: string) => {
    if (!services.settings.get().notifications || !Notification.isSupported()) return;
    const notification = new Notification({ title, body, silent: false });
    notification.on('click', () => showWindow());
    notification.show();
  };
  const showWindow = () => {
    const window = options.window();
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };

  let tray: Tray | undefined;
  try {
    tray = new Tray(
      nativeImage.createFromPath(
        path.join(options.iconDir, process.platform === 'darwin' ? 'tray-16.png' : 'tray-32.png'),
      ),
    );
  } catch {
    tray = undefined; // Some Linux desktops have no tray; notifications still work.
  }
  const refreshTray = () => {
    if (!tray) return;
    const count = pending.size;
    const label = count === 0 ? 'Everything is up to date' : `${count} update${count === 1 ? '' : 's'} pending`;
    tray.setToolTip(`Upkeep — ${label}`);
    if (process.platform === 'darwin') tray.setTitle(count > 0 ? String(count) : '');
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label, enabled: false },
        { type: 'separator' },
        { label: 'Open Upkeep', click: showWindow },
        {
          label: 'Check for updates',
          click: () =>
            void services.checks
              .check(undefined, { force: true })
              .catch((error: unknown) => log.error('the check from the tray failed', { error })),
        },
        { type: 'separator' },
        { label: 'Quit', click: () => app.quit() },
      ]),
    );
  };
  tray?.on('click', showWindow);
  refreshTray();

  const offs = [
    services.events.on('check_result', ({ result }) => {
      if (result.update_available && result.latest) pending.set(result.id, result.latest);
      else if (!result.error) pending.delete(result.id);
      refreshTray();
    }),
    services.events.on('update_available', (e) =>
      notify(
        `${e.name} ${e.to_version} is available`,
        e.from_version ? `Installed: ${e.from_version}` : 'A new version is out.',
      ),
    ),
    services.events.on('update_succeeded', (e) => {
      pending.delete(e.component);
      refreshTray();
      notify(`${nameOf(e.component)} updated`, `${e.from_version ?? '?'} → ${e.to_version ?? '?'}`);
    }),
    services.events.on('update_failed', (e) =>
      notify(`${nameOf(e.component)} update failed`, e.error?.message ?? 'See the update log.'),
    ),
    services.events.on('update_rolled_back', (e) =>
      notify(
        `${nameOf(e.component)} update rolled back`,
        `Back on ${e.from_version ?? 'the previous version'}. ${e.error?.message ?? ''}`.trim(),
      ),
    ),
    services.events.on('components_changed', ({ ids }) => {
      for (const id of ids) if (!services.components.has(id)) pending.delete(id);
      refreshTray();
    }),
  ];
  return () => {
    for (const off of offs) off();
    tray?.destroy();
  };
}
