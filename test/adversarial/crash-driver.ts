// One update or one backup restore in its own process, SIGKILLed on the N-th event the engine
// emits (progress, log lines, backup progress): N comes from a seeded generator in the test, so
// every kill point is reproducible. N = 0 never kills and prints how many events a whole run has.
import { createServices } from '../../electron/core/services';

const [home, mode, id, nth] = process.argv.slice(2) as [string, 'update' | 'restore', string, string];
const killAt = Number(nth);
const services = createServices({ home, host: 'cli' });
let seen = 0;

services.events.onAny(() => {
  seen++;
  if (seen === killAt) {
    process.kill(process.pid, 'SIGKILL');
    for (;;) {
      // SIGKILL arrives before anything else can run.
    }
  }
});

if (mode === 'update') {
  const results = await services.updates.updateComponents([id], { initiatedBy: 'cli' });
  process.stdout.write(`${JSON.stringify({ events: seen, results })}\n`);
} else {
  const result = await services.backups.restore({ backupId: id });
  process.stdout.write(`${JSON.stringify({ events: seen, result: { files: result.files } })}\n`);
}
