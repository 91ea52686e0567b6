// Runs one update of a component in its own process and SIGKILLs itself at a chosen point:
// on entering a step (after its journal entry is written), halfway through the file sync
// (`apply-mid`), on entering the rollback (`rollback`), or once the update is committed but
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
    if (p.step === 'apply' && p.step_percent !== null && p.step_percent >= 40 && p.step_percent < 100) die();
    return;
  }
  if (p.step === killAt) die();
});
services.events.on('update_log', (line) => {
  if (killAt === 'committed' && line.line.includes(' updated from ')) die();
});

const results = await services.updates.updateComponents([id], { initiatedBy: 'cli' });
process.stdout.write(`${JSON.stringify(results)}\n`);
