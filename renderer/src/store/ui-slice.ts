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
  | { kind: 'create-backup'; component?: string }
  | { kind: 'restore-backup'; backupId: string }
  | { kind: 'delete-backup'; backupId: string }
  | { kind: 'rollback'; entryId: string }
  | { kind: 'run-log'; entryId: string };

export interface Announcement {
  /** Increments so the same text announced twice is still read out. */
  seq: number;
  text: string;
  tone: 'info' | 'success' | 'error';
}

export interface Notice {
  seq: number;
  title: string;
  error: ErrorShape;
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
  /** Show an error (message and code) and announce it. */
  reportError(title: string, error: ErrorShape): void;
  dismissNotice(seq: number): void;
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
    set((s) => ({
      notices: [...s.notices.slice(-4), { seq: ++seq, title, error }],
      announcement: { seq: ++seq, text: `${title}: ${error.message} (${error.code})`, tone: 'error' },
    })),
  dismissNotice: (n) => set((s) => ({ notices: s.notices.filter((x) => x.seq !== n) })),
  setConnection: (connection) => set({ connection }),
});
