import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The files of a small sample app at a version: what a release tarball holds and an install leaves. */
export const appFiles = (version: string): Record<string, string> => ({
  VERSION: `${version}\n`,
  'app.py': `print("v${version}")\n`,
});

/** The sample app installed at a version in `folder` (its VERSION file is what the check reads). */
export function installApp(folder: string, version: string): void {
  mkdirSync(folder, { recursive: true });
  for (const [name, content] of Object.entries(appFiles(version))) writeFileSync(path.join(folder, name), content);
}
