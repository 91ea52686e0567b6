import { UpkeepError } from './errors';
import type { CheckType, UpdateMethod } from './schemas/component';

/**
 * Starting points for the common kinds of component, for the panel's Add dialog. A template is data:
 * a partial config whose strings may hold `{{field}}` placeholders, filled from the fields the user
 * types. Double braces keep them apart from the runtime placeholders (`{target_version}`, `{target}`)
 * that stay in the config and are substituted at update time.
 */
export interface TemplateField {
  key: string;
  label: string;
  /** A realistic value: shown as the input's placeholder, and used by the tests to fill the template. */
  example: string;
  /** Used when the user leaves the field empty; fields without a default are required. */
  default?: string;
  help?: string;
}

export interface ComponentTemplate {
  id: string;
  label: string;
  description: string;
  type: CheckType;
  method: UpdateMethod;
  /** Suggested id for the new component, with placeholders like the config. */
  suggested_id: string;
  fields: TemplateField[];
  /** The config besides `type` and `method` (filled in from the template's own). */
  config: Record<string, unknown>;
}

const nameField: TemplateField = { key: 'name', label: 'Display name', example: 'My App' };
const userField: TemplateField = {
  key: 'user',
  label: 'GitHub owner',
  example: 'octocat',
  help: 'The user or organisation in github.com/<owner>/<repo>.',
};
const repoField: TemplateField = { key: 'repo', label: 'GitHub repository', example: 'my-app' };

export const COMPONENT_TEMPLATES: readonly ComponentTemplate[] = [
  {
    id: 'github-release-web-app',
    label: 'Web app from GitHub releases',
    description:
      'A web app installed from release tarballs: the folder is replaced by each release, keeping .env, uploads and database backups; a backup is taken before each update.',
    type: 'github_release',
    method: 'release_archive',
    suggested_id: '{{repo}}',
    fields: [
      nameField,
      userField,
      repoField,
      { key: 'folder', label: 'Install folder', example: '/srv/my-app' },
      {
        key: 'version_file',
        label: 'File holding the installed version',
        example: 'VERSION',
        default: 'VERSION',
        help: 'Relative to the install folder; the first version-like text in it is read.',
      },
    ],
    config: {
      name: '{{name}}',
      user: '{{user}}',
      repo: '{{repo}}',
      release_compare: 'semantic',
      folder: '{{folder}}',
      version_from: { file: '{{version_file}}', regex: 'v?(\\d+(?:\\.\\d+)+[0-9A-Za-z.+-]*)' },
      preserve: ['.env', 'uploads/', 'database_backups/'],
      backup: { config: ['.env'], data: ['uploads/'] },
    },
  },
  {
    id: 'pip-package',
    label: 'Python package (pip)',
    description: 'A package from PyPI installed with pip into one interpreter or virtualenv.',
    type: 'pypi_release',
    method: 'pip',
    suggested_id: '{{package}}',
    fields: [
      { key: 'package', label: 'PyPI package', example: 'requests' },
      { ...nameField, example: 'Requests' },
      {
        key: 'python',
        label: 'Python interpreter',
        example: '/opt/my-app/venv/bin/python',
        default: 'python3',
        help: 'The python of the virtualenv the package lives in.',
      },
    ],
    config: {
      name: '{{name}}',
      package: '{{package}}',
      pip: '{{package}}=={target_version}',
      python: '{{python}}',
      version_from: { pip: '{{package}}', python: '{{python}}' },
    },
  },
  {
    id: 'npm-package',
    label: 'npm package (global)',
    description: 'A command-line tool or server installed with npm install -g, on the dist-tag you choose.',
    type: 'npm_release',
    method: 'npm',
    suggested_id: '{{package}}',
    fields: [
      { key: 'package', label: 'npm package', example: 'http-server' },
      { ...nameField, example: 'http-server' },
    ],
    config: {
      name: '{{name}}',
      package: '{{package}}',
      global: true,
      version_from: { npm: '{{package}}', global: true },
    },
  },
  {
    id: 'git-checkout',
    label: 'Git checkout',
    description: 'A program run from a git clone, updated by pulling its branch; local changes are backed up first.',
    type: 'git_commit',
    method: 'git',
    suggested_id: '{{name}}',
    fields: [
      { ...nameField, example: 'Chat Bot' },
      { key: 'folder', label: 'Checkout folder', example: '/opt/chat-bot' },
      { key: 'branch', label: 'Branch', example: 'main', default: 'main' },
    ],
    config: {
      name: '{{name}}',
      folder: '{{folder}}',
      branch: '{{branch}}',
    },
  },
  {
    id: 'single-file-plugin',
    label: 'Single-file plugin',
    description:
      'One file (a plugin or script) replaced by the same file from each GitHub release; its version is read from its docstring.',
    type: 'github_release',
    method: 'single_file',
    suggested_id: '{{repo}}',
    fields: [
      { ...nameField, example: 'Cleanup Plugin' },
      userField,
      { ...repoField, example: 'cleanup-plugin' },
      { key: 'repo_path', label: 'Path of the file in the repository', example: 'cleanup_plugin.py' },
      { key: 'file', label: 'Installed file', example: '/home/pi/.octoprint/plugins/cleanup_plugin.py' },
    ],
    config: {
      name: '{{name}}',
      user: '{{user}}',
      repo: '{{repo}}',
      url: 'https://raw.githubusercontent.com/{{user}}/{{repo}}/{target}/{{repo_path}}',
      file: '{{file}}',
      version_from: { frontmatter: '{{file}}' },
    },
  },
  {
    id: 'openwebui-plugin',
    label: 'Open WebUI plugin',
    description:
      'A function, filter or tool deployed from a local file to an Open WebUI server; its valves are left as they are.',
    type: 'openwebui',
    method: 'openwebui',
    suggested_id: '{{function_id}}',
    fields: [
      { ...nameField, example: 'Async Context Compression' },
      {
        key: 'api_base',
        label: 'Open WebUI server',
        example: 'http://localhost:3000',
        default: 'http://localhost:3000',
      },
      { key: 'file', label: 'Local plugin file', example: '/home/me/plugins/async_context_compression.py' },
      { key: 'function_id', label: 'Function id on the server', example: 'async_context_compression' },
      {
        key: 'api_key_env',
        label: 'Environment variable with the API key',
        example: 'OPENWEBUI_API_KEY',
        default: 'OPENWEBUI_API_KEY',
      },
    ],
    config: {
      name: '{{name}}',
      api_base: '{{api_base}}',
      file: '{{file}}',
      function_id: '{{function_id}}',
      api_key_env: '{{api_key_env}}',
    },
  },
];

const PLACEHOLDER = /\{\{([a-z_]+)\}\}/g;

export function findTemplate(id: string): ComponentTemplate {
  const template = COMPONENT_TEMPLATES.find((t) => t.id === id);
  if (!template) {
    throw new UpkeepError(
      'NOT_FOUND',
      `No template "${id}". Templates: ${COMPONENT_TEMPLATES.map((t) => t.id).join(', ')}.`,
      { template: id },
    );
  }
  return template;
}

/** The `{{field}}` names a template uses, in order of first use. */
export function templatePlaceholders(template: ComponentTemplate): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(PLACEHOLDER)) if (m[1]) found.add(m[1]);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit);
  };
  visit(template.config);
  visit(template.suggested_id);
  return [...found];
}

/**
 * Fill a template's placeholders. Empty fields fall back to their default; a required field left
 * empty is an INVALID_REQUEST naming it. The result still needs validation (validateComponent).
 */
export function fillTemplate(
  template: ComponentTemplate,
  values: Record<string, string | undefined>,
): { id: string; config: Record<string, unknown> } {
  const resolved: Record<string, string> = {};
  const missing: string[] = [];
  for (const field of template.fields) {
    const given = values[field.key]?.trim();
    const value = given ? given : field.default;
    if (value === undefined || value === '') missing.push(field.label);
    else resolved[field.key] = value;
  }
  if (missing.length) {
    throw new UpkeepError('INVALID_REQUEST', `Fill in ${missing.join(', ')} for "${template.label}".`, {
      template: template.id,
      missing,
    });
  }
  const fillText = (text: string): string =>
    text.replace(PLACEHOLDER, (whole, key: string) => {
      const v = resolved[key];
      if (v === undefined)
        throw new UpkeepError('INTERNAL', `Template "${template.id}" uses ${whole} but has no field for it.`);
      return v;
    });
  const fillObject = (value: object): Record<string, unknown> =>
    Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') return fillText(value);
    if (Array.isArray(value)) return value.map(fill);
    if (typeof value === 'object' && value !== null) return fillObject(value);
    return value;
  };
  const id = suggestedId(fillText(template.suggested_id), template.id);
  return { id, config: { ...fillObject(template.config), type: template.type, method: template.method } };
}

function suggestedId(text: string, fallback: string): string {
  const slug = text
    .toLowerCase()
    .replace(/^@/, '')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 64)
    .replace(/[-_]+$/, '');
  return /^[a-z0-9][a-z0-9_-]{0,63}$/.test(slug) ? slug : fallback;
}
