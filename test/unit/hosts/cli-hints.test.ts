import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_ACTIONS, UpkeepError, toErrorShape } from '../../../shared/errors';
import { cliCommandFor, deferralText, withCliHint } from '../../../electron/cli/hints';
import { buildCli, upkeep } from '../../helpers/cli';
import { tempDir } from '../../helpers/temp';

beforeAll(() => buildCli());

describe('host words: core names the action, the CLI adds its command', () => {
  it('every action has a CLI command, naming the component the error is about', () => {
    for (const action of ERROR_ACTIONS) {
      const command = cliCommandFor({ action, details: { id: 'web', backup_id: 'web-1' } });
      expect(command, action).toMatch(/^upkeep /);
    }
    expect(cliCommandFor({ action: 'force_update', details: { id: 'web' } })).toBe('upkeep update web --force');
    expect(cliCommandFor({ action: 'restore_backup', details: { backup_id: 'web-1' } })).toBe(
      'upkeep backup restore web-1 --yes',
    );
    expect(cliCommandFor({ details: { id: 'web' } })).toBeNull();
  });

  it('the action survives the wire shape, and the hint is added only by the host', () => {
    const error = new UpkeepError(
      'UNSUPPORTED',
      'Set version_from, or update without a backup.',
      { id: 'web' },
      { action: 'update_without_backup' },
    );
    const shape = toErrorShape(error);
    expect(shape).toEqual({
      code: 'UNSUPPORTED',
      message: 'Set version_from, or update without a backup.',
      details: { id: 'web' },
      action: 'update_without_backup',
    });
    expect(withCliHint(shape).message).toBe(
      'Set version_from, or update without a backup. (`upkeep update web --no-backup`)',
    );
    expect(withCliHint({ message: 'plain' }).message).toBe('plain');
  });

  it('deferrals a person can lift get the command that lifts them', () => {
    expect(deferralText({ reason: 'held', message: 'Web is held at 1.0.' }, 'web')).toBe(
      'Web is held at 1.0. (`upkeep hold web --release`)',
    );
    expect(deferralText({ reason: 'major_version', message: 'A new major.' }, 'web')).toContain(
      'upkeep schedule web --allow-major',
    );
    expect(deferralText({ reason: 'outside_window', message: 'Waits for the window.' }, 'web')).toBe(
      'Waits for the window.',
    );
  });

  it('the real CLI still tells the flag: adding a component twice names --replace, with the action in --json', () => {
    const root = tempDir();
    const home = path.join(root, 'home');
    mkdirSync(home);
    const file = path.join(root, 'c.yaml');
    writeFileSync(file, 'components:\n  app:\n    type: always_current\n    current: "1.0"\n');
    expect(upkeep(['--home', home, '--json', 'component', 'add', '--file', file]).status).toBe(0);
    const again = upkeep(['--home', home, '--json', 'component', 'add', '--file', file]);
    expect(again.status).not.toBe(0);
    const { error } = again.json() as { error: { code: string; message: string; action?: string } };
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(error.action).toBe('replace_component');
    expect(error.message).toContain('Remove it first, or replace it.');
    expect(error.message).toContain('`upkeep component add --file FILE --replace`');
    const text = upkeep(['--home', home, 'component', 'add', '--file', file]);
    expect(text.stderr).toContain('--replace');
  });
});
