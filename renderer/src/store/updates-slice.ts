import type { CheckResult, ErrorShape, LogLine, UpdateStatus, UpdateStep } from '../../../shared/types';
import type { SliceCreator } from './types';

/** An update run as the panel follows it, from the engine's progress events. */
export interface RunState {
  runId: string | null;
  component: string;
  from: string | null;
  to: string | null;
  step: UpdateStep | null;
  percent: number | null;
  log: LogLine[];
  status: 'running' | UpdateStatus;
  error: ErrorShape | null;
  backupId: string | null;
}

export interface UpdatesSlice {
  checks: Record<string, CheckResult>;
  checking: Record<string, boolean>;
  runs: Record<string, RunState>;
  checkComponents(ids?: string[], force?: boolean): Promise<void>;
  updateComponents(ids: string[]): Promise<void>;
  dismissRun(component: string): void;
}

const unsupported = (what: string): ErrorShape => ({
  code: 'UNSUPPORTED',
  message: `${what} is not available in this version of the engine yet.`,
});

export const createUpdatesSlice: SliceCreator<UpdatesSlice> = () => (set, get) => ({
  checks: {},
  checking: {},
  runs: {},
  async checkComponents() {
    get().reportError('Check for updates', unsupported('Checking for updates'));
  },
  async updateComponents() {
    get().reportError('Update', unsupported('Updating'));
  },
  dismissRun: (component) =>
    set((s) => {
      const runs = { ...s.runs };
      delete runs[component];
      return { runs };
    }),
});
