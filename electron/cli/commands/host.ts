import { existsSync } from 'node:fs';
import path from 'node:path';
import { UpkeepError } from '../../../shared/errors';
import type { HostView } from '../../../shared/schemas/host';
import { table, type CommandSpec } from '../context';

/** A key or known_hosts file given on the command line: absolute, and there (a typo is said now, not at the first connection). */
function existingFile(flag: string, value: string | boolean | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const file = path.resolve(value);
  if (!existsSync(file))
    throw new UpkeepError('INVALID_REQUEST', `--${flag} ${value}: no such file.`, { fields: [flag] });
  return file;
}

function port(value: string | boolean | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new UpkeepError('INVALID_REQUEST', `--port must be 1-65535, got "${value}".`, { fields: ['port'] });
  return n;
}

function hostRow(h: HostView): (string | number | undefined)[] {
  return [h.name, h.ssh, h.port, h.identity, h.known_hosts, h.remote_upkeep ?? 'upkeep'];
}

export const hostCommands: CommandSpec[] = [
  {
    path: ['host', 'add'],
    localOnly: true,
    usage:
      'upkeep host add NAME --ssh USER@HOST [--port N] [--identity FILE] [--known-hosts FILE] [--remote-upkeep COMMAND] [--replace]',
    summary:
      'Register a remote host reached with your ssh client (its keys, agent, config and known_hosts); `upkeep --on NAME …` then runs commands there',
    options: {
      ssh: { type: 'string' },
      port: { type: 'string' },
      identity: { type: 'string' },
      'known-hosts': { type: 'string' },
      'remote-upkeep': { type: 'string' },
      replace: { type: 'boolean' },
    },
    async run(ctx, { positionals, values }) {
      const [name, ...extra] = positionals;
      if (!name || extra.length)
        throw new UpkeepError('INVALID_REQUEST', 'Give one host name: upkeep host add NAME --ssh USER@HOST.');
      if (typeof values.ssh !== 'string')
        throw new UpkeepError('INVALID_REQUEST', 'Give --ssh USER@HOST (e.g. --ssh pi@raspberrypi.local).', {
          fields: ['ssh'],
        });
      const identity = existingFile('identity', values.identity);
      const knownHosts = existingFile('known-hosts', values['known-hosts']);
      const portNumber = port(values.port);
      const host = await ctx.call('addHost', {
        name,
        ssh: values.ssh,
        ...(portNumber !== undefined ? { port: portNumber } : {}),
        ...(identity !== undefined ? { identity } : {}),
        ...(knownHosts !== undefined ? { known_hosts: knownHosts } : {}),
        ...(typeof values['remote-upkeep'] === 'string' ? { remote_upkeep: values['remote-upkeep'] } : {}),
        ...(values.replace === true ? { replace: true } : {}),
      });
      return {
        json: host,
        text: `Added host ${host.name} (${host.ssh}). Check it with \`upkeep host test ${host.name}\`.`,
      };
    },
  },
  {
    path: ['host', 'list'],
    localOnly: true,
    usage: 'upkeep host list [--json]',
    summary: 'The registered remote hosts',
    async run(ctx) {
      const { hosts } = await ctx.call('listHosts', {});
      return {
        json: { hosts },
        text: hosts.length
          ? table(['NAME', 'SSH', 'PORT', 'IDENTITY', 'KNOWN HOSTS', 'REMOTE UPKEEP'], hosts.map(hostRow))
          : 'No hosts. Add one with `upkeep host add NAME --ssh USER@HOST`.',
      };
    },
  },
  {
    path: ['host', 'remove'],
    localOnly: true,
    usage: 'upkeep host remove NAME',
    summary: 'Forget a remote host (nothing on the host changes)',
    async run(ctx, { positionals }) {
      const [name, ...extra] = positionals;
      if (!name || extra.length)
        throw new UpkeepError('INVALID_REQUEST', 'Give one host name: upkeep host remove NAME.');
      const result = await ctx.call('removeHost', { name });
      return { json: result, text: `Removed host ${name}.` };
    },
  },
  {
    path: ['host', 'test'],
    localOnly: true,
    usage: 'upkeep host test NAME',
    summary:
      'Connect to a host over ssh and print its Upkeep version and hostname (or why it cannot be reached: HOST_KEY_UNKNOWN, HOST_AUTH_FAILED …)',
    async run(ctx, { positionals }) {
      const [name, ...extra] = positionals;
      if (!name || extra.length) throw new UpkeepError('INVALID_REQUEST', 'Give one host name: upkeep host test NAME.');
      const result = await ctx.call('testHost', { name });
      if (!result.ok) throw new UpkeepError(result.error.code, result.error.message, result.error.details);
      return {
        json: result,
        text: `${name}: Upkeep ${result.upkeep} on ${result.hostname} (protocol ${result.protocol}).`,
      };
    },
  },
];
