import type { AppState } from '../types';
import { memoSelector } from './memo';

/** Running updates first, then finished ones, each group by component. */
export const selectRuns = memoSelector(
  (s: AppState) => [s.runs] as const,
  ([runs]) =>
    Object.values(runs).sort(
      (a, b) =>
        Number(b.status === 'running') - Number(a.status === 'running') || a.component.localeCompare(b.component),
    ),
);

export const selectCheck = (id: string) => (s: AppState) => s.checks[id];
