import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Real packages made offline for discovery tests: an npm package packed with `npm pack` and
 * installed globally into a temp prefix, and a Python wheel built by `pip wheel` (with an in-tree
 * PEP 517 backend, so no setuptools/wheel download) and installed into a real venv.
 */

const QUIET_NPM = { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

/** `npm pack` a tiny package with a bin; returns the tarball path. */
export function packNpmPackage(dir: string, name: string, version: string): string {
  const src = path.join(dir, `src-${name.replace(/[@/]/g, '_')}`);
  mkdirSync(src, { recursive: true });
  const bin = name.split('/').pop() as string;
  writeFileSync(
    path.join(src, 'package.json'),
    JSON.stringify({ name, version, bin: { [bin]: 'cli.js' }, license: 'MIT' }),
  );
  writeFileSync(path.join(src, 'cli.js'), `#!/usr/bin/env node\nconsole.log(${JSON.stringify(version)});\n`);
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], {
    cwd: src,
    encoding: 'utf8',
    env: { ...process.env, ...QUIET_NPM },
  });
  return path.join(dir, out.trim().split('\n').pop() as string);
}

/** `npm install -g --prefix PREFIX tarball…` offline. */
export function installGlobal(prefix: string, tarballs: string[]): void {
  execFileSync('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', ...tarballs], {
    encoding: 'utf8',
    env: { ...process.env, ...QUIET_NPM },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const BACKEND = `
import base64, hashlib, os, zipfile
NAME, DIST, VERSION = {name!r}, {dist!r}, {version!r}
def _rec(data):
    d = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "sha256=%s,%d" % (d, len(data))
def get_requires_for_build_wheel(config_settings=None):
    return []
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = "%s-%s.dist-info" % (DIST, VERSION)
    files = {
        "%s/__init__.py" % DIST: ('__version__ = "%s"\\n' % VERSION).encode(),
        info + "/METADATA": ("Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)).encode(),
        info + "/WHEEL": b"Wheel-Version: 1.0\\nGenerator: upkeep-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    wheel = "%s-%s-py3-none-any.whl" % (DIST, VERSION)
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as z:
        record = []
        for p, data in files.items():
            z.writestr(p, data)
            record.append("%s,%s" % (p, _rec(data)))
        record.append(info + "/RECORD,,")
        z.writestr(info + "/RECORD", "\\n".join(record) + "\\n")
    return wheel
def get_requires_for_build_editable(config_settings=None):
    return []
def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # PEP 660: a wheel whose .pth points at the source folder; pip records it as editable.
    info = "%s-%s.dist-info" % (DIST, VERSION)
    files = {
        DIST + ".pth": (os.path.abspath(".") + "\\n").encode(),
        info + "/METADATA": ("Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)).encode(),
        info + "/WHEEL": b"Wheel-Version: 1.0\\nGenerator: upkeep-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    wheel = "%s-%s-py3-none-any.whl" % (DIST, VERSION)
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as z:
        record = []
        for p, data in files.items():
            z.writestr(p, data)
            record.append("%s,%s" % (p, _rec(data)))
        record.append(info + "/RECORD,,")
        z.writestr(info + "/RECORD", "\\n".join(record) + "\\n")
    return wheel
`;

/** A source folder with an in-tree PEP 517/660 backend (no downloads needed to build it). */
export function writePythonProject(dir: string, name: string, version: string): string {
  const dist = name.replace(/[-.]/g, '_').toLowerCase();
  const src = path.join(dir, `src-${dist}`);
  mkdirSync(src, { recursive: true });
  writeFileSync(
    path.join(src, 'pyproject.toml'),
    `[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n[project]\nname = "${name}"\nversion = "${version}"\n`,
  );
  const backend = BACKEND.replace('{name!r}', JSON.stringify(name))
    .replace('{dist!r}', JSON.stringify(dist))
    .replace('{version!r}', JSON.stringify(version));
  writeFileSync(path.join(src, 'backend.py'), backend);
  return src;
}

/** Build a pure-Python wheel with `pip wheel --no-index` into `wheels/`; returns that folder. */
export function buildWheel(dir: string, name: string, version: string): string {
  const src = writePythonProject(dir, name, version);
  const wheels = path.join(dir, 'wheels');
  execFileSync(
    'python3',
    ['-m', 'pip', 'wheel', '--no-index', '--no-deps', '--disable-pip-version-check', '-q', '-w', wheels, src],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (!readdirSync(wheels).some((f) => f.endsWith('.whl'))) throw new Error('pip wheel built nothing');
  return wheels;
}

/** A real venv with the given wheels installed offline; returns the venv folder. */
export function makeVenv(dir: string, wheels: string, packages: string[]): string {
  const venv = path.join(dir, 'venv');
  execFileSync('python3', ['-m', 'venv', venv], { stdio: ['ignore', 'pipe', 'pipe'] });
  const python = path.join(venv, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
  execFileSync(
    python,
    ['-m', 'pip', 'install', '--no-index', '--find-links', wheels, '--disable-pip-version-check', '-q', ...packages],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return venv;
}
