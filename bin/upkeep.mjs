#!/usr/bin/env node
// The `upkeep` command: the bundled CLI (built by `npm install`'s prepare step, or `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  process.stderr.write('upkeep: the CLI is not built yet. Run `npm run build` in the Upkeep folder.\n');
  process.exit(1);
}
await import(bundle.href);
