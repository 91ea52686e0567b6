import { parseArgs } from 'node:util';
import { UpkeepError, toErrorShape, type ErrorCode, type ErrorShape } from '../../shared/errors';
import { appPackage } from '../core/lib/app-version';
import { COMMANDS } from './commands';
import { withCliHint } from './hints';
import { createCliContext, type CommandSpec } from './context';
import { errorMessage } from '../core/lib/error-info';

const GLOBAL_OPTIONS = {
  home: { type: 'string' },
  /** The same as --home (the name ssh commands and the stdio protocol use). */
  'data-dir': { type: 'string' },
  /** Run the command against a registered remote host (`upkeep host add`), over ssh. */
  on: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/** Exit 2 for bad usage or config, 1 when the operation itself failed (README, "The command line"). */
const USAGE_CODES: ErrorCode[] = ['INVALID_REQUEST', 'INVALID_CONFIG', 'UNKNOWN_METHOD'];

/** Bad usage: a malformed command, a bad config, or an id that names no component. */
function isUsageError(shape: ErrorShape): boolean {
  return USAGE_CODES.includes(shape.code) || (shape.code === 'NOT_FOUND' && shape.details?.kind === 'component');
}

function helpText(): string {
  return [
    `upkeep ${appPackage().version} — keep self-hosted software up to date`,
    '',
    'Usage: upkeep [--home DIR] [--on HOST] [--json] COMMAND …',
    '',
    'Commands:',
    ...COMMANDS.flatMap((c) => [`  ${c.usage}`, `      ${c.summary}`]),
    '',
    'Global options:',
    '  --home DIR   data directory (default: $UPKEEP_HOME, else the platform config folder); also --data-dir DIR',
    '  --on HOST    run the command on a remote host (see `upkeep host add`), over ssh',
    '  --json       print one JSON document on stdout',
    '  --help       this help; `upkeep COMMAND --help` for one command',
    '  --version    print the version',
    '',
    'Exit codes: 0 success, 1 the operation failed, 2 bad usage or config.',
  ].join('\n');
}

function findCommand(words: string[]): { spec: CommandSpec; rest: string[] } | undefined {
  let best: CommandSpec | undefined;
  for (const spec of COMMANDS) {
    if (spec.path.every((w, i) => words[i] === w) && (!best || spec.path.length > best.path.length)) best = spec;
  }
  return best ? { spec: best, rest: words.slice(best.path.length) } : undefined;
}

export async function runCli(argv: string[]): Promise<number> {
  let json = argv.includes('--json');
  const report = (error: unknown): number => {
    const shape = withCliHint(toErrorShape(error));
    if (json) process.stdout.write(`${JSON.stringify({ error: shape })}\n`);
    else process.stderr.write(`upkeep: ${shape.message} [${shape.code}]\n`);
    return isUsageError(shape) ? 2 : 1;
  };
  try {
    // First pass: global flags and the command words; command options are parsed by the command.
    const found = findCommand(commandWords(argv));
    const options = { ...GLOBAL_OPTIONS, ...(found?.spec.options ?? {}) };
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UpkeepError('INVALID_REQUEST', `${errorMessage(error)}. Run \`upkeep --help\` for usage.`);
    }
    const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
    json = values.json === true;
    if (values.version) {
      process.stdout.write(
        json ? `${JSON.stringify({ version: appPackage().version })}\n` : `${appPackage().version}\n`,
      );
      return 0;
    }
    const command = findCommand(parsed.positionals);
    if (values.help || parsed.positionals.length === 0) {
      process.stdout.write(`${command ? `Usage: ${command.spec.usage}\n${command.spec.summary}` : helpText()}\n`);
      return values.help ? 0 : 2;
    }
    if (!command) {
      throw new UpkeepError(
        'INVALID_REQUEST',
        `Unknown command "${parsed.positionals.join(' ')}". Run \`upkeep --help\` for the list of commands.`,
      );
    }
    const homeFlag =
      typeof values.home === 'string'
        ? values.home
        : typeof values['data-dir'] === 'string'
          ? values['data-dir']
          : undefined;
    const on = typeof values.on === 'string' ? values.on : undefined;
    if (on !== undefined && command.spec.localOnly) {
      throw new UpkeepError(
        'INVALID_REQUEST',
        `\`upkeep ${command.spec.path.join(' ')}\` runs on this machine only; drop --on ${on}.`,
      );
    }
    const ctx = createCliContext(homeFlag, json, on);
    try {
      const result = await command.spec.run(ctx, { positionals: command.rest, values });
      if (json) {
        if (result.json !== undefined) process.stdout.write(`${JSON.stringify(result.json, null, 2)}\n`);
      } else if (result.text) {
        ctx.out(result.text);
      }
      return result.exitCode ?? 0;
    } finally {
      await ctx.close();
    }
  } catch (error) {
    return report(error);
  }
}

/** The positional words before parsing, skipping the values of global options that take one. */
function commandWords(argv: string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--home' || a === '--data-dir' || a === '--on') i++;
    else if (!a.startsWith('-')) words.push(a);
  }
  return words;
}
