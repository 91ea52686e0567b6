import { useSyncExternalStore } from 'react';

/**
 * Where the one role="status" region lives. While a modal dialog is open the rest of the page is inert
 * (and so is any live region in it), so the open dialog hosts the region until it closes.
 */
let target: HTMLElement | null = null;
const listeners = new Set<() => void>();

export function setLiveRegionTarget(element: HTMLElement | null): void {
  target = element;
  for (const listener of listeners) listener();
}

export function useLiveRegionTarget(): HTMLElement | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => target,
  );
}
