import { createHash } from 'node:crypto';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeHeader, END_OF_ARCHIVE } from '../archive';
import type { DemoRelease } from './feed';

/** The feed's owner name for every sample repository. */
export const DEMO_OWNER = 'upkeep-demo';

type Files = Record<string, string>;

const DAY = 24 * 60 * 60 * 1000;

/** A GitHub-style source tarball: every file under one `owner-repo-commit/` top folder. */
export function sourceTarball(top: string, files: Files, mtimeMs: number): Buffer {
  const mtime = Math.floor(mtimeMs / 1000);
  const dirs = new Set<string>([top]);
  for (const rel of Object.keys(files)) {
    const parts = rel.split('/').slice(0, -1);
    parts.forEach((_, i) => dirs.add(`${top}/${parts.slice(0, i + 1).join('/')}`));
  }
  const blocks: Buffer[] = [...dirs]
    .sort()
    .map((dir) => encodeHeader({ path: `${dir}/`, type: 'directory', mode: 0o755, size: 0, mtime }));
  for (const [rel, content] of Object.entries(files)) {
    const body = Buffer.from(content);
    blocks.push(
      encodeHeader({ path: `${top}/${rel}`, type: 'file', mode: 0o644, size: body.length, mtime }),
      body,
      Buffer.alloc((512 - (body.length % 512)) % 512),
    );
  }
  blocks.push(END_OF_ARCHIVE);
  return gzipSync(Buffer.concat(blocks));
}

const shortSha = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 7);

// ---------------------------------------------------------------------------------------------
// The sample web app: 1.0.0 installed, 1.1.0 on the feed. The installed copy holds user data
// (`.env`, `uploads/`) that the update must leave alone; 1.1.0 drops `legacy.js` and adds a file.

function webAppFiles(version: string): Files {
  const common: Files = {
    VERSION: `${version}\n`,
    '.env.example': 'APP_SECRET=change-me\nPORT=8080\n',
    'app.js': `// Sample web app ${version}\nexport const version = '${version}';\n`,
  };
  if (version === '1.0.0') {
    return {
      ...common,
      'index.html': '<!doctype html><title>Sample web app</title><h1>Sample web app 1.0.0</h1>\n',
      'legacy.js': '// Removed in 1.1.0: the update deletes this file.\n',
    };
  }
  return {
    ...common,
    'index.html':
      '<!doctype html><title>Sample web app</title><link rel="stylesheet" href="static/style.css"><h1>Sample web app 1.1.0</h1>\n',
    'static/style.css': 'h1 { font-family: system-ui, sans-serif; }\n',
  };
}

/** Data a person made in the installed app: never in a release, kept by every update. */
export const WEB_APP_USER_FILES: Files = {
  '.env': 'APP_SECRET=my-own-secret-kept-by-updates\nPORT=8080\n',
  'uploads/holiday.txt': 'A file a user uploaded. Updates never touch uploads/.\n',
};

// ---------------------------------------------------------------------------------------------
// The sample API service: 1.0.0 installed; 2.0.0 moved its entry point to src/main.js and no longer
// ships server.js, which the health check looks for, so updating to it fails and is rolled back.

function apiFiles(version: string): Files {
  if (version === '1.0.0') {
    return {
      VERSION: '1.0.0\n',
      'package.json': `${JSON.stringify({ name: 'sample-api', version: '1.0.0', main: 'server.js' }, null, 2)}\n`,
      'server.js': "// Sample API service 1.0.0\nconsole.log('listening');\n",
    };
  }
  return {
    VERSION: `${version}\n`,
    'package.json': `${JSON.stringify({ name: 'sample-api', version, main: 'src/main.js' }, null, 2)}\n`,
    'src/main.js': `// Sample API service ${version}: server.js moved here\nconsole.log('listening');\n`,
  };
}

// ---------------------------------------------------------------------------------------------
// The sample single-file plugin: 1.0.0 installed, 1.2.0 on the feed with a SHA256SUMS list.

function pluginFile(version: string): string {
  return `"""\ntitle: Notes plugin\nversion: ${version}\ndescription: A sample single-file plugin, replaced whole by each release.\n"""\n\n\ndef notes():\n    return "notes ${version}"\n`;
}

export interface DemoLayout {
  /** Where the sample components are installed, inside the sandbox. */
  webApp: string;
  api: string;
  pluginDir: string;
  pluginFile: string;
  /** The samples' health check: a small script that passes when the file it is given exists. */
  healthScript: string;
}

export function demoLayout(home: string): DemoLayout {
  const samples = path.join(home, 'samples');
  return {
    webApp: path.join(samples, 'web-app'),
    api: path.join(samples, 'api-service'),
    pluginDir: path.join(samples, 'plugins'),
    pluginFile: path.join(samples, 'plugins', 'notes_plugin.py'),
    healthScript: path.join(samples, 'check-file.cjs'),
  };
}

/** What is installed before the demo's first update: each sample at its old version. */
export function installedFiles(layout: DemoLayout): Record<string, Files> {
  return {
    [layout.webApp]: { ...webAppFiles('1.0.0'), ...WEB_APP_USER_FILES },
    [layout.api]: apiFiles('1.0.0'),
    [layout.pluginDir]: { 'notes_plugin.py': pluginFile('1.0.0') },
  };
}

/** The releases the feed serves, dated relative to now (older first). */
export function demoReleases(now = Date.now()): DemoRelease[] {
  const release = (
    repo: string,
    version: string,
    ageDays: number,
    notes: string,
    files: Files,
    assets?: DemoRelease['assets'],
  ): DemoRelease => {
    const published = now - ageDays * DAY;
    return {
      owner: DEMO_OWNER,
      repo,
      tag: `v${version}`,
      name: `${repo} ${version}`,
      notes,
      published_at: new Date(published).toISOString(),
      tarball: sourceTarball(`${DEMO_OWNER}-${repo}-${shortSha(`${repo}@${version}`)}`, files, published),
      ...(assets ? { assets } : {}),
    };
  };
  const plugin = (version: string) => {
    const bytes = Buffer.from(pluginFile(version));
    const sums = `${createHash('sha256').update(bytes).digest('hex')}  notes_plugin.py\n`;
    return [
      { name: 'notes_plugin.py', bytes },
      { name: 'SHA256SUMS', bytes: Buffer.from(sums) },
    ];
  };
  return [
    release('web-app', '1.0.0', 40, 'First release.', webAppFiles('1.0.0')),
    release(
      'web-app',
      '1.1.0',
      3,
      '## What changed\n\n- A stylesheet (`static/style.css`)\n- `legacy.js` is gone: the update removes it\n\nYour `.env` and `uploads/` are preserved.',
      webAppFiles('1.1.0'),
    ),
    release('api-service', '1.0.0', 60, 'First release.', apiFiles('1.0.0')),
    release(
      'api-service',
      '2.0.0',
      1,
      '## Breaking\n\nThe entry point moved to `src/main.js`.\n\nThis demo release leaves out `server.js`, which the health check looks for: updating to it fails and Upkeep rolls it back by itself.',
      apiFiles('2.0.0'),
    ),
    release('notes-plugin', '1.0.0', 90, 'First release.', {}, plugin('1.0.0')),
    release(
      'notes-plugin',
      '1.2.0',
      5,
      "Faster notes. The file is verified against the release's SHA256SUMS.",
      {},
      plugin('1.2.0'),
    ),
  ];
}

/** The program that runs the health checks: this Node, or `node` on PATH inside Electron. */
function nodeProgram(): string {
  return process.versions.electron ? 'node' : process.execPath;
}

/** The health check script's source (written beside the samples, outside their folders). */
export const HEALTH_SCRIPT = `// Upkeep demo health check: passes when the file given exists.
const file = process.argv[2];
if (!file || !require('node:fs').existsSync(file)) {
  console.error('health: ' + file + ' is missing, so the service cannot start');
  process.exit(1);
}
console.log('health: ' + file + ' is there');
`;

/** A health check as argv (no shell): passes when \`file\` exists, says which file is missing otherwise. */
function fileExistsCheck(layout: DemoLayout, file: string): { command: string[]; timeout: number } {
  return { command: [nodeProgram(), layout.healthScript, file], timeout: 30 };
}

/** The sample components, pointed at the feed's current address. */
export function demoComponents(layout: DemoLayout, feed: { apiBase: string; origin: string }): Record<string, unknown> {
  const github = { type: 'github_release', user: DEMO_OWNER, api_base: feed.apiBase, release_compare: 'semantic' };
  return {
    'web-app': {
      ...github,
      name: 'Sample web app',
      repo: 'web-app',
      folder: layout.webApp,
      version_from: { file: 'VERSION', regex: '(\\S+)' },
      method: 'release_archive',
      preserve: ['.env', 'uploads/'],
      health: fileExistsCheck(layout, path.join(layout.webApp, 'index.html')),
    },
    'api-service': {
      ...github,
      name: 'Sample API service',
      repo: 'api-service',
      folder: layout.api,
      version_from: { file: 'VERSION', regex: '(\\S+)' },
      method: 'release_archive',
      health: fileExistsCheck(layout, path.join(layout.api, 'server.js')),
    },
    'notes-plugin': {
      ...github,
      name: 'Sample plugin',
      repo: 'notes-plugin',
      method: 'single_file',
      url: `${feed.origin}/${DEMO_OWNER}/notes-plugin/releases/download/{target}/notes_plugin.py`,
      file: layout.pluginFile,
      version_from: { frontmatter: layout.pluginFile },
    },
  };
}
