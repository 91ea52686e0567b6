import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * A collection of this thread's young garbage, where V8 allows it to be asked for (see
 * ExtractOptions.reclaim); undefined where it does not.
 */
export function youngGc(): (() => void) | undefined {
  const own = globalThis.gc;
  if (typeof own === 'function') return () => own({ type: 'minor' }); // started with --expose-gc
  // Flags are the process's: only where V8's flags are known not to be frozen after start (plain
  // Node unfreezes them for v8.setFlagsFromString). Embedders that freeze them abort the process
  // on a late flag, so in Electron the worker does without (a little more memory).
  if (process.versions.electron) return undefined;
  try {
    // The flag is the process's: on only while the one context that keeps `gc` is made.
    v8.setFlagsFromString('--expose-gc');
    let gc: ((options?: { type: 'minor' | 'major' }) => void) | undefined;
    try {
      gc = vm.runInNewContext('gc') as typeof gc;
    } finally {
      v8.setFlagsFromString('--no-expose-gc');
    }
    if (typeof gc !== 'function') return undefined;
    return () => gc({ type: 'minor' });
  } catch {
    // This runtime refuses the flag: collection is left to V8 (only slower, never wrong).
    return undefined;
  }
}
