import { runCli } from './main';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`upkeep: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
