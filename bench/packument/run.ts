// bench/packument: how many bytes an npm_release check saves by asking for the abbreviated
// packument (`Accept: application/vnd.npm.install-v1+json`) instead of the full document, for
// large real packages. The full documents are fetched from the npm registry npm is configured
// with (the only network this needs); the abbreviated form is made from each by the registry's
// documented rule (name, modified, dist-tags, and per version only the fields an install reads),
// and the same registry is asked for it too, to report whether it honours the header.
// Run: npm run bench -- packument   (writes bench/results/packument.json and .md)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';

const PACKAGES = ['typescript', '@types/node', 'next', 'react', 'aws-sdk', 'lodash'];
/** The version fields the abbreviated document keeps (npm's registry documentation, "Abbreviated metadata format"). */
const VERSION_FIELDS = [
  'name',
  'version',
  'deprecated',
  'dependencies',
  'optionalDependencies',
  'devDependencies',
  'bundleDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bin',
  'directories',
  'dist',
  'engines',
  '_hasShrinkwrap',
  'hasInstallScript',
  'cpu',
  'os',
];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function registry(): string {
  try {
    return execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim().replace(/\/+$/, '');
  } catch {
    return 'https://registry.npmjs.org';
  }
}

async function fetchDoc(base: string, name: string, accept: string): Promise<Buffer> {
  const res = await request(
    `${base}/${name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name)}`,
    { headers: { accept, 'user-agent': 'upkeep-bench' } },
  );
  if (res.statusCode !== 200) throw new Error(`${name}: ${res.statusCode}`);
  return Buffer.from(await res.body.arrayBuffer());
}

function abbreviate(doc: Record<string, unknown>): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  for (const [v, manifest] of Object.entries((doc.versions ?? {}) as Record<string, Record<string, unknown>>)) {
    versions[v] = Object.fromEntries(
      VERSION_FIELDS.filter((f) => manifest[f] !== undefined).map((f) => [f, manifest[f]]),
    );
  }
  const time = (doc.time ?? {}) as Record<string, string>;
  return { name: doc.name, modified: time.modified, 'dist-tags': doc['dist-tags'], versions };
}

const base = registry();
const rows = [];
for (const name of PACKAGES) {
  const full = await fetchDoc(base, name, 'application/json');
  const asked = await fetchDoc(base, name, 'application/vnd.npm.install-v1+json');
  const fullDoc = JSON.parse(full.toString('utf8')) as Record<string, unknown>;
  const abbreviated = Buffer.from(JSON.stringify(abbreviate(fullDoc)));
  rows.push({
    package: name,
    full_bytes: full.length,
    abbreviated_bytes: abbreviated.length,
    full_gzip_bytes: gzipSync(full).length,
    abbreviated_gzip_bytes: gzipSync(abbreviated).length,
    saved: Math.round((1 - abbreviated.length / full.length) * 1000) / 1000,
    registry_honours_accept: asked.length < full.length,
    full_has_readme: typeof fullDoc.readme === 'string' && fullDoc.readme.length > 0,
  });
  process.stdout.write(
    `${name.padEnd(14)} full ${full.length} B, abbreviated ${abbreviated.length} B (registry sent ${asked.length} B for the abbreviated Accept)\n`,
  );
}
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const worst = rows.reduce((a, b) => (a.saved < b.saved ? a : b));
const best = rows.reduce((a, b) => (a.saved > b.saved ? a : b));
const markdown = [
  `npm packuments of large packages, full against abbreviated (registry ${base}; \`npm run bench -- packument\`):`,
  '',
  '| package | full | abbreviated | saved | full, gzip | abbreviated, gzip | registry honours the Accept |',
  '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ...rows.map(
    (r) =>
      `| ${r.package} | ${mb(r.full_bytes)} | ${mb(r.abbreviated_bytes)} | ${Math.round(r.saved * 100)}% | ${mb(r.full_gzip_bytes)} | ${mb(r.abbreviated_gzip_bytes)} | ${r.registry_honours_accept ? 'yes' : 'no'} |`,
  ),
  '',
  `Least saved: ${worst.package} (${Math.round(worst.saved * 100)}%); most: ${best.package} (${Math.round(best.saved * 100)}%). A registry that ignores the header sends the full document either way. Upkeep also asks for gzip or brotli (the gzip columns), which saves more than the abbreviated form does.${rows.some((r) => !r.full_has_readme) ? ' This registry leaves readmes out of the full documents, so the real registry saves more.' : ''}`,
  '',
].join('\n');
const outDir = path.join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  path.join(outDir, 'packument.json'),
  `${JSON.stringify({ benchmark: 'packument', date: new Date().toISOString(), registry: base, rows }, null, 2)}\n`,
);
writeFileSync(path.join(outDir, 'packument.md'), markdown);
process.stdout.write(`\n${markdown}`);
