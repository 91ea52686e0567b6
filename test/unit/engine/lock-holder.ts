// Holds a component lock in its own process until stdin closes (or it is killed).
import { acquireLock } from '../../../electron/core/engine/lock';

const [dir, component] = process.argv.slice(2) as [string, string];
const lock = await acquireLock(dir, component, { host: 'desktop', runId: 'held-by-child' });
process.stdout.write('locked\n');
process.stdin.resume();
process.stdin.on('end', () => void lock.release().then(() => process.exit(0)));
