import { describe, expect, it } from 'vitest';
import { validateComponent } from '../../../electron/core/config/validate';
import { UpkeepError } from '../../../shared/errors';
import { COMPONENT_TEMPLATES, fillTemplate, findTemplate, templatePlaceholders } from '../../../shared/templates';

const examples = (fields: { key: string; example: string }[]) =>
  Object.fromEntries(fields.map((f) => [f.key, f.example]));

describe('component templates', () => {
  it('cover the common kinds', () => {
    expect(COMPONENT_TEMPLATES.map((t) => t.id)).toEqual([
      'github-release-web-app',
      'pip-package',
      'npm-package',
      'git-checkout',
      'single-file-plugin',
      'openwebui-plugin',
    ]);
  });

  for (const template of COMPONENT_TEMPLATES) {
    describe(template.id, () => {
      it('has a field for every placeholder and uses every field', () => {
        expect(templatePlaceholders(template).sort()).toEqual(template.fields.map((f) => f.key).sort());
      });

      it('validates once its placeholders are filled, with the declared type and method', () => {
        const { id, config } = fillTemplate(template, examples(template.fields));
        expect(JSON.stringify(config)).not.toMatch(/\{\{/);
        const valid = validateComponent(id, config, `template ${template.id}`);
        expect(valid.type).toBe(template.type);
        expect(valid.method).toBe(template.method);
      });

      it('refuses to fill without its required fields', () => {
        const required = template.fields.filter((f) => f.default === undefined);
        expect(required.length).toBeGreaterThan(0);
        expect(() => fillTemplate(template, {})).toThrow(UpkeepError);
      });
    });
  }

  it('fills defaults for empty optional fields and names the missing required ones', () => {
    const pip = findTemplate('pip-package');
    const { id, config } = fillTemplate(pip, { package: 'Requests', name: 'Requests', python: '  ' });
    expect(id).toBe('requests');
    expect(config).toMatchObject({
      python: 'python3',
      pip: 'Requests=={target_version}',
      version_from: { pip: 'Requests', python: 'python3' },
    });
    expect(() => fillTemplate(pip, { name: 'x' })).toThrow(/Fill in PyPI package/);
  });

  it('keeps the runtime placeholders for the updaters', () => {
    const { config } = fillTemplate(
      findTemplate('single-file-plugin'),
      examples(findTemplate('single-file-plugin').fields),
    );
    expect(config.url).toBe('https://raw.githubusercontent.com/octocat/cleanup-plugin/{target}/cleanup_plugin.py');
    expect(config.version_from).toEqual({ frontmatter: '/home/pi/.octoprint/plugins/cleanup_plugin.py' });
  });

  it('the web app template keeps user data through updates', () => {
    const { config } = fillTemplate(
      findTemplate('github-release-web-app'),
      examples(findTemplate('github-release-web-app').fields),
    );
    expect(config.preserve).toEqual(['.env', 'uploads/', 'database_backups/']);
    const regex = new RegExp((config.version_from as { regex: string }).regex);
    expect(regex.exec("APP_VERSION = 'v2.4.1'")?.[1]).toBe('2.4.1');
  });

  it('an unknown template is NOT_FOUND listing the known ones', () => {
    expect(() => findTemplate('nope')).toThrow(/Templates: github-release-web-app/);
  });
});
