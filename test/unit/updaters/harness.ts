import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ComponentConfig } from '../../../shared/schemas/component';
import type { UpdateTarget } from '../../../shared/types';
import { homeLayout } from '../../../electron/core/config/home';
import { runCommand } from '../../../electron/core/updaters/lib/exec';
import type { UpdaterContext } from '../../../electron/core/updaters/types';
import { validateComponent } from '../../../electron/core/config/validate';

export interface HarnessRun {
  ctx: UpdaterContext;
  lines: { line: string; stream: string }[];
  text(): string;
}

/**
 * A real updater context for driving one updater directly (the engine builds the same thing):
 * real commands, a real data folder, the log kept for assertions.
 */
export function updaterContext(
  home: string,
  id: string,
  rawConfig: Record<string, unknown>,
  target: UpdateTarget,
  options: { from?: string | null; force?: boolean } = {},
): HarnessRun {
  const config: ComponentConfig = validateComponent(id, rawConfig);
  const layout = homeLayout(home);
  const runId = `test-${Math.random().toString(16).slice(2, 10)}`;
  const workDir = path.join(layout.cache, 'runs', runId);
  mkdirSync(workDir, { recursive: true });
  const lines: HarnessRun['lines'] = [];
  const secrets: string[] = [];
  const ctx: UpdaterContext = {
    runId,
    component: {
      id,
      name: config.name ?? id,
      type: config.type,
      method: config.method ?? null,
      channel: config.channel ?? 'stable',
      source: { kind: 'settings' },
      config,
    },
    config,
    target,
    from: options.from ?? null,
    force: options.force ?? false,
    home: layout,
    workDir,
    stateDir: path.join(home, 'state', id),
    state: {},
    saveState: async () => undefined,
    log: (line, stream) => void lines.push({ line, stream: stream ?? 'message' }),
    progress: () => undefined,
    exec: (argv, opts = {}) => {
      lines.push({ line: `$ ${argv.join(' ')}`, stream: 'message' });
      const cwd = opts.cwd ?? config.folder;
      return runCommand(argv, (line, stream) => lines.push({ line, stream }), { ...opts, ...(cwd ? { cwd } : {}) });
    },
    addSecret: (v) => void secrets.push(v),
    credential: () => undefined,
    signal: new AbortController().signal,
  };
  return { ctx, lines, text: () => lines.map((l) => l.line).join('\n') };
}
