#!/usr/bin/env node
// Runs Upkeep's benchmarks: `npm run bench` runs every one, `npm run bench -- check` only bench/check.
// A benchmark is a folder bench/<name>/ with a run.ts (or run.mjs) that writes bench/results/<name>.json;
// add a folder and it is picked up here.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(benchDir);

function entryOf(name) {
  for (const file of ['run.ts', 'run.mjs']) {
    const p = path.join(benchDir, name, file);
    if (existsSync(p)) return p;
  }
  return undefined;
}

const available = readdirSync(benchDir)
  .filter(
    (name) =>
      name !== 'results' && !name.startsWith('.') && statSync(path.join(benchDir, name)).isDirectory() && entryOf(name),
  )
  .sort();

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (process.argv.includes('--list')) {
  process.stdout.write(`${available.join('\n')}\n`);
  process.exit(0);
}
const unknown = asked.filter((name) => !available.includes(name));
if (unknown.length) {
  process.stderr.write(`Unknown benchmark ${unknown.join(', ')}. Available: ${available.join(', ')}\n`);
  process.exit(2);
}

let failed = 0;
for (const name of asked.length ? asked : available) {
  const entry = entryOf(name);
  process.stdout.write(`\n== bench/${name} ==\n`);
  const args = entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry];
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (result.status !== 0) {
    failed++;
    process.stderr.write(`bench/${name} failed (exit ${result.status ?? result.signal})\n`);
  }
}
process.exit(failed ? 1 : 0);
