import type { ErrorShape } from '../../../../shared/types';
import type { HostSnapshot } from '../../store/hosts-slice';

export interface HostStateText {
  tone: 'ok' | 'busy' | 'bad';
  label: string;
  /** What went wrong and what to do (the code and message, the fingerprint to check). */
  detail: string | null;
}

const KEY_CODES = new Set(['HOST_KEY_UNKNOWN', 'HOST_KEY_CHANGED']);

/** A host's connection as the All hosts view says it: connected, connecting, unreachable (code, message) or its key refused (fingerprint). */
export function describeHostState(snapshot: HostSnapshot | undefined): HostStateText {
  if (!snapshot || snapshot.status === 'loading' || snapshot.status === 'idle')
    return { tone: 'busy', label: 'Connecting…', detail: null };
  if (snapshot.status === 'ready') return { tone: 'ok', label: 'Connected', detail: null };
  const error: ErrorShape | null = snapshot.error;
  if (error && KEY_CODES.has(error.code)) {
    const fingerprint = typeof error.details?.fingerprint === 'string' ? error.details.fingerprint : 'unknown';
    return {
      tone: 'bad',
      label: 'Host key refused',
      detail: `${error.code}: fingerprint ${fingerprint}. ${error.message}`,
    };
  }
  return { tone: 'bad', label: 'Unreachable', detail: error ? `${error.code}: ${error.message}` : null };
}
