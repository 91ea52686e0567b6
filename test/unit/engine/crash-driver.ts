// Runs one update of a component in its own process and SIGKILLs itself at a chosen point:
// on entering a step (after its journal entry is written), halfway through the extraction into
// staging (`apply-mid`), once the new tree is built and about to be swapped in (`apply-swap`), on entering the rollback (`rollback`), inside the backup store while it writes
// the pre-update backup (`backup-mid`) or restores it (`rollback-mid`), or once the update is committed but
// not yet recorded (`committed`). The engine under test is the real one; only the process dies.
import { createServices } from '../../../electron/core/services';

const [home, id, killAt] = process.argv.slice(2) as [string, string, string];
const services = createServices({ home, host: 'cli' });

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  for (;;) {
    // SIGKILL is delivered before this loop can let anything else run.
  }
}

services.events.on('update_progress', (p) => {
  if (killAt === 'apply-mid') {
    if (p.step === 'apply' && p.step_percent !== null && p.step_percent > 0 && p.step_percent <= 80) die();
    return;
  }
  if (killAt === 'apply-swap') {
    if (p.step === 'apply' && p.step_percent !== null && p.step_percent >= 85 && p.step_percent < 100) die();
    return;
  }
  if (p.step === killAt) die();
});
// Inside the backup store's own work: while the pre-update backup is written, and while the
// rollback's restore is being extracted.
let rollingBack = false;
services.events.onAny((event, payload) => {
  if (event === 'update_progress' && (payload as { step: string }).step === 'rollback') rollingBack = true;
  if (event !== 'backup_progress') return;
  const phase = (payload as { phase: string }).phase;
  if (killAt === 'backup-mid' && phase === 'archiving') die();
  if (killAt === 'rollback-mid' && rollingBack && phase === 'extracting') die();
});
services.events.on('update_log', (line) => {
  if (killAt === 'committed' && line.line.includes(' updated from ')) die();
});

const results = await services.updates.updateComponents([id], { initiatedBy: 'cli' });
process.stdout.write(`${JSON.stringify(results)}\n`);
