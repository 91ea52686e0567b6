import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRecord } from '../../../shared/guards';

let cached: { version: string; root: string } | undefined;

/** Upkeep's own package.json, found by walking up from this module (works from source, dist and asar). */
export function appPackage(): { version: string; root: string } {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      if (isRecord(pkg) && pkg.name === 'upkeep' && typeof pkg.version === 'string' && pkg.version) {
        cached = { version: pkg.version, root: dir };
        return cached;
      }
    } catch {
      // keep walking up
    }
    dir = path.dirname(dir);
  }
  cached = { version: '0.0.0', root: process.cwd() };
  return cached;
}
