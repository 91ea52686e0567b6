import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** What is read of a package.json on the way up: its name and version (any other shape is walked past). */
const packageSchema = z.looseObject({
  name: z.string().optional().catch(undefined),
  version: z.string().optional().catch(undefined),
});

let cached: { version: string; root: string } | undefined;

/** Upkeep's own package.json, found by walking up from this module (works from source, dist and asar). */
export function appPackage(): { version: string; root: string } {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = packageSchema.safeParse(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))).data;
      if (pkg?.name === 'upkeep' && pkg.version) {
        cached = { version: pkg.version, root: dir };
        return cached;
      }
    } catch {
      // No package.json here (or not JSON): keep walking up.
    }
    dir = path.dirname(dir);
  }
  cached = { version: '0.0.0', root: process.cwd() };
  return cached;
}
