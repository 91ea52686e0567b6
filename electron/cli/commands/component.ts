import { createReadStream } from 'node:fs';
import path from 'node:path';
import { MAX_TEXT } from '../../../shared/contract';
import { UpkeepError } from '../../../shared/errors';
import { table, type CommandSpec } from '../context';
import { errnoCode, errorMessage } from '../../core/lib/error-info';
import { toBuffer } from '../../core/lib/chunk';

/**
 * A config file (or stdin) as text, read as a stream and refused as soon as it passes the API's
 * size limit: `--file /dev/zero` or a multi-gigabyte file is never read whole.
 */
async function readInput(file: string): Promise<string> {
  try {
    return await readCapped(file === '-' ? process.stdin : createReadStream(file), file);
  } catch (error) {
    if (error instanceof UpkeepError) throw error;
    throw new UpkeepError(
      'INVALID_REQUEST',
      `Cannot read ${file}: ${errnoCode(error) ?? errorMessage(error)}. Check the path.`,
      { file },
    );
  }
}

async function readCapped(stream: NodeJS.ReadableStream, file: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const raw of stream) {
    const chunk = toBuffer(raw);
    size += chunk.length;
    if (size > MAX_TEXT) {
      // Leaving the loop closes the stream: nothing more is read.
      throw new UpkeepError(
        'INVALID_REQUEST',
        `${file === '-' ? 'The input' : file} is larger than ${MAX_TEXT / 1024 / 1024} MiB, too large for a config file. Give the YAML or JSON file with the \`components:\` mapping.`,
        { file, limit_bytes: MAX_TEXT },
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export { readInput };

export const componentCommands: CommandSpec[] = [
  {
    path: ['component', 'add'],
    usage: 'upkeep component add --file FILE [--replace]',
    summary: 'Add components from a YAML/JSON file with a `components:` mapping (- reads stdin)',
    options: { file: { type: 'string', short: 'f' }, replace: { type: 'boolean' } },
    async run(ctx, { values }) {
      if (typeof values.file !== 'string')
        throw new UpkeepError(
          'INVALID_REQUEST',
          'component add needs --file FILE (a YAML or JSON file with a `components:` mapping).',
        );
      const text = await readInput(values.file);
      const result = await ctx.call('addComponents', {
        text,
        replace: values.replace === true,
        source: values.file === '-' ? 'stdin' : path.basename(values.file),
      });
      const lines = [...result.added.map((id) => `Added ${id}`), ...result.replaced.map((id) => `Replaced ${id}`)];
      return { json: result, text: lines.join('\n') };
    },
  },
  {
    path: ['component', 'list'],
    usage: 'upkeep component list',
    summary: 'List the components Upkeep tracks (and any config problems)',
    async run(ctx) {
      const { components, problems } = await ctx.call('listComponents', {});
      const json = {
        components: components.map((c) => ({
          id: c.id,
          name: c.name,
          type: c.type,
          method: c.method,
          channel: c.channel,
          source: c.source,
          config: c.config,
        })),
        problems,
      };
      const text = [
        components.length
          ? table(
              ['ID', 'NAME', 'TYPE', 'METHOD', 'CHANNEL', 'SOURCE'],
              components.map((c) => [
                c.id,
                c.name,
                c.type,
                c.method,
                c.channel,
                c.source.kind === 'settings' ? 'settings' : c.source.file,
              ]),
            )
          : 'No components yet. Add some with `upkeep component add --file FILE` or `upkeep import octoprint CONFIG.yaml`.',
        ...problems.map((p) => `problem: ${p.message}`),
      ].join('\n');
      return { json, text };
    },
  },
  {
    path: ['component', 'remove'],
    usage: 'upkeep component remove ID',
    summary: 'Stop tracking a component (its backups and history are kept)',
    async run(ctx, { positionals }) {
      const [id, ...rest] = positionals;
      if (!id || rest.length) throw new UpkeepError('INVALID_REQUEST', 'component remove takes exactly one ID.');
      const result = await ctx.call('removeComponent', { id });
      return { json: result, text: `Removed ${id}` };
    },
  },
  {
    path: ['import', 'octoprint'],
    usage: 'upkeep import octoprint CONFIG.yaml [--replace]',
    summary: "Import the checks of OctoPrint's Software Update plugin (plugins.softwareupdate.checks)",
    options: { replace: { type: 'boolean' } },
    async run(ctx, { positionals, values }) {
      const [file, ...rest] = positionals;
      if (!file || rest.length)
        throw new UpkeepError('INVALID_REQUEST', "import octoprint takes the path of OctoPrint's config.yaml.");
      const text = await readInput(file);
      const result = await ctx.call('importOctoprint', { text, replace: values.replace === true });
      const lines = [
        ...result.added.map((id) => `Imported ${id}`),
        ...result.replaced.map((id) => `Replaced ${id}`),
        ...result.skipped.map((s) => `Skipped ${s.id}: ${s.reason}`),
      ];
      return { json: result, text: lines.join('\n') || 'Nothing to import.' };
    },
  },
];
