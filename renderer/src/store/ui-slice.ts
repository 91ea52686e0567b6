import type { ErrorShape } from '../../../shared/errors';
import type { ConnectionState } from '../api';
import type { SliceCreator } from './types';

export type View = 'components' | 'backups' | 'history';

/** Which dialog is open; one at a time, so focus always has one home. */
export type DialogState =
  | { kind: 'none' }
  /** `focus`: the field to put focus on when it opens (a banner's "Add a GitHub token"). */
  | { kind: 'settings'; focus?: 'github-token' }
  | { kind: 'add-component' }
  | { kind: 'edit-component'; id: string }
  | { kind: 'remove-component'; id: string }
  | { kind: 'import-octoprint' }
  | { kind: 'discover' }
  | { kind: 'update-details'; id: string }
  | { kind: 'update-all' }
  | { kind: 'create-backup'; component?: string }
  | { kind: 'restore-backup'; backupId: string }
  | { kind: 'delete-backup'; backupId: string }
  | { kind: 'rollback'; entryId: string }
  | { kind: 'run-log'; entryId: string }
  /** Settings → Hosts: add, test and remove remote hosts. */
  | { kind: 'hosts' }
  /** A staged rollout of one component, `canary` first. */
  | { kind: 'rollout'; component: string; canary: string };

export interface Announcement {
  /** Increments so the same text announced twice is still read out. */
  seq: number;
  text: string;
  tone: 'info' | 'success' | 'error';
  /** Read out but not shown as a toast: a notice on the page already says it. */
  quiet?: boolean;
}

export interface Notice {
  seq: number;
  title: string;
  error: ErrorShape;
  /** What it is about (error code and source): one notice per cause, the latest word on it. */
  cause: string;
}

/**
 * Errors about reaching the host itself: every call meets the same one (a wrong token fails the
 * components, the settings, the history and the backups alike), so they make one notice, under a
 * title that names the cause rather than the call that met it first.
 */
const HOST_ERRORS: Partial<Record<ErrorShape['code'], string>> = {
  UNAUTHORIZED: 'The Upkeep host refused this panel',
  NETWORK: 'Could not reach the Upkeep host',
};

function noticeFor(title: string, error: ErrorShape): Omit<Notice, 'seq'> {
  const hostTitle = HOST_ERRORS[error.code];
  return hostTitle
    ? { title: hostTitle, error, cause: `${error.code}:host` }
    : { title, error, cause: `${error.code}:${title}` };
}

export interface UiSlice {
  view: View;
  dialog: DialogState;
  announcement: Announcement | null;
  notices: Notice[];
  connection: ConnectionState;
  /** The first-run welcome was dismissed (remembered in localStorage). */
  welcomeDismissed: boolean;
  dismissWelcome(): void;
  setView(view: View): void;
  openDialog(dialog: DialogState): void;
  closeDialog(): void;
  announce(text: string, tone?: Announcement['tone']): void;
  /** Show an error (message and code) and announce it; the same cause again updates its notice instead of adding one. */
  reportError(title: string, error: ErrorShape): void;
  dismissNotice(seq: number): void;
  /** Drop notices: all of them, or those about reaching the host (`host`). */
  clearNotices(which: 'all' | 'host'): void;
  setConnection(state: ConnectionState): void;
}

let seq = 0;

const WELCOME_KEY = 'upkeep.welcome-dismissed';

function readWelcomeDismissed(): boolean {
  try {
    return globalThis.localStorage?.getItem(WELCOME_KEY) === '1';
  } catch {
    // Storage can be unavailable (privacy settings); then the welcome shows until something else is tracked.
    return false;
  }
}

export const createUiSlice: SliceCreator<UiSlice> = () => (set) => ({
  view: 'components',
  dialog: { kind: 'none' },
  announcement: null,
  notices: [],
  connection: 'connecting',
  welcomeDismissed: readWelcomeDismissed(),
  dismissWelcome: () => {
    try {
      globalThis.localStorage?.setItem(WELCOME_KEY, '1');
    } catch {
      // Dismissed for this session only.
    }
    set({ welcomeDismissed: true });
  },
  setView: (view) => set({ view }),
  // A new dialog starts without the last outcome showing in it.
  openDialog: (dialog) => set({ dialog, announcement: null }),
  closeDialog: () => set({ dialog: { kind: 'none' } }),
  announce: (text, tone = 'info') => set({ announcement: { seq: ++seq, text, tone } }),
  reportError: (title, error) =>
    set((s) => {
      const notice = { seq: ++seq, ...noticeFor(title, error) };
      const known = s.notices.some((n) => n.cause === notice.cause);
      const notices = known
        ? s.notices.map((n) => (n.cause === notice.cause ? notice : n))
        : [...s.notices.slice(-4), notice];
      // The notice is on the page: the live region reads it out without a second copy as a toast, and a repeat is not read again.
      const announcement = known
        ? s.announcement
        : {
            seq: ++seq,
            text: `${notice.title}: ${error.message} (${error.code})`,
            tone: 'error' as const,
            quiet: true,
          };
      return { notices, announcement };
    }),
  dismissNotice: (n) => set((s) => ({ notices: s.notices.filter((x) => x.seq !== n) })),
  clearNotices: (which) =>
    set((s) => ({ notices: which === 'all' ? [] : s.notices.filter((n) => !n.cause.endsWith(':host')) })),
  setConnection: (connection) => set({ connection }),
});
