import { runCli } from './main';
import { errorMessage } from '../core/lib/error-info';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`upkeep: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  },
);
