import { UpkeepError } from '../../../shared/errors';
import { SETTING_KEYS } from '../../../shared/schemas/settings';
import { isOneOf } from '../../../shared/guards';
import type { CommandSpec } from '../context';

const SECRET_KEYS = ['github_token'] as const;

const show = (value: unknown): string =>
  typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);

/** CLI values are strings; settings are typed (lists and objects as JSON). */
function coerce(value: string): unknown {
  if (/^\s*[[{]/.test(value)) {
    try {
      const parsed: unknown = JSON.parse(value);
      return parsed;
    } catch {
      throw new UpkeepError(
        'INVALID_REQUEST',
        `"${value.slice(0, 60)}" looks like JSON but does not parse; quote it for your shell, e.g. '[{"url":"https://…"}]'.`,
      );
    }
  }
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  return value;
}

export const settingsCommands: CommandSpec[] = [
  {
    path: ['settings', 'get'],
    usage: 'upkeep settings get [KEY]',
    summary: 'Show settings (secrets only as set/not set)',
    async run(ctx, { positionals }) {
      const view = await ctx.call('getSettings', {});
      const [key] = positionals;
      if (key === undefined) {
        const text = [
          ...Object.entries(view.settings).map(([k, v]) => `${k} = ${show(v)}`),
          `github_token = ${view.github_token_set ? '(set)' : '(not set)'}`,
        ].join('\n');
        return { json: view, text };
      }
      if (isOneOf(key, SECRET_KEYS)) {
        return { json: { key, set: view.github_token_set }, text: view.github_token_set ? '(set)' : '(not set)' };
      }
      if (!isOneOf(key, SETTING_KEYS)) {
        throw new UpkeepError(
          'INVALID_REQUEST',
          `Unknown setting "${key}". Known settings: ${[...SETTING_KEYS, ...SECRET_KEYS].join(', ')}.`,
        );
      }
      const value = view.settings[key];
      return { json: { key, value }, text: show(value) };
    },
  },
  {
    path: ['settings', 'set'],
    usage: 'upkeep settings set KEY VALUE',
    summary: 'Change a setting (github_token "" removes the token)',
    async run(ctx, { positionals }) {
      const [key, value, ...rest] = positionals;
      if (key === undefined || value === undefined || rest.length)
        throw new UpkeepError('INVALID_REQUEST', 'settings set takes KEY VALUE.');
      if (key === 'github_token') {
        const view = await ctx.call('setSettings', { github_token: value === '' ? null : value });
        return {
          json: { key, set: view.github_token_set },
          text: view.github_token_set ? 'GitHub token stored.' : 'GitHub token removed.',
        };
      }
      if (!isOneOf(key, SETTING_KEYS)) {
        throw new UpkeepError(
          'INVALID_REQUEST',
          `Unknown setting "${key}". Known settings: ${[...SETTING_KEYS, ...SECRET_KEYS].join(', ')}.`,
        );
      }
      const view = await ctx.call('setSettings', { patch: { [key]: coerce(value) } });
      const newValue = view.settings[key];
      return { json: { key, value: newValue }, text: `${key} = ${show(newValue)}` };
    },
  },
];
