import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

/**
 * A temp folder removed when the current test finishes (made outside a test: when its suite
 * finishes). An `afterEach` registered from inside a running test never ran, which had left
 * thousands of folders — tens of GB — in the temp directory.
 */
export function tempDir(prefix = 'upkeep-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    onTestFinished(remove);
  } catch {
    afterAll(remove);
  }
  return dir;
}
