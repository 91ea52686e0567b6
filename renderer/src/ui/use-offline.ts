import type { ConnectionState } from '../api';
import { useAppStore } from '../store';

/** Why buttons that change something are off right now, or null when the host can be asked. */
export function offlineReason(connection: ConnectionState): string | null {
  switch (connection) {
    case 'open':
      return null;
    case 'connecting':
      return 'Connecting to the Upkeep host…';
    case 'refused':
      return 'The Upkeep host refused this panel’s access token: open the panel with the address `upkeep serve` printed.';
    default:
      return 'Not connected to the Upkeep host: changes can’t be made until it answers again.';
  }
}

/**
 * For every button that calls a method that changes something: disabled while the host cannot be
 * asked, with the reason as its title (a click would only fail).
 */
export function useOffline(): { disabled: boolean; title: string | undefined } {
  const reason = useAppStore((s) => offlineReason(s.connection));
  return { disabled: reason !== null, title: reason ?? undefined };
}
