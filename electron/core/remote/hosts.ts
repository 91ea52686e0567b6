import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../../../shared/contract';
import { hostConfigSchema, type HostConfig } from '../../../shared/schemas/host';
import { UpkeepError } from '../../../shared/errors';
import { writeFileAtomic } from '../lib/fs-atomic';
import { errnoCode } from '../lib/error-info';

const registrySchema = z.strictObject({ version: z.literal(1), hosts: z.array(hostConfigSchema) });

export function hostsFile(home: string): string {
  return path.join(home, 'hosts.json');
}

function parseRegistry(file: string, text: string | undefined): HostConfig[] {
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UpkeepError(
      'INVALID_CONFIG',
      `${file} is not valid JSON. Fix it by hand or move it aside (your hosts are listed in it); Upkeep will not overwrite it.`,
      { file },
    );
  }
  const parsed = registrySchema.safeParse(value);
  if (!parsed.success) {
    const { message, fields } = describeIssues(parsed.error.issues);
    throw new UpkeepError('INVALID_CONFIG', `${file}: ${message}. Fix it by hand; Upkeep will not overwrite it.`, {
      file,
      fields,
    });
  }
  return parsed.data.hosts;
}

function missing(error: unknown): boolean {
  return errnoCode(error) === 'ENOENT';
}

/** The hosts in `<home>/hosts.json` (none when the file does not exist; a damaged file is INVALID_CONFIG). */
export async function readHosts(home: string): Promise<HostConfig[]> {
  const file = hostsFile(home);
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    if (missing(error)) return undefined;
    throw error;
  });
  return parseRegistry(file, text);
}

export function readHostsSync(home: string): HostConfig[] {
  const file = hostsFile(home);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (!missing(error)) throw error;
  }
  return parseRegistry(file, text);
}

async function writeHosts(home: string, hosts: HostConfig[]): Promise<void> {
  await writeFileAtomic(hostsFile(home), `${JSON.stringify({ version: 1, hosts }, null, 2)}\n`, { mode: 0o600 });
}

export async function findHost(home: string, name: string): Promise<HostConfig> {
  const host = (await readHosts(home)).find((h) => h.name === name);
  if (!host) throw unknownHost(name);
  return host;
}

export function unknownHost(name: string): UpkeepError {
  return new UpkeepError(
    'NOT_FOUND',
    `No host named "${name}". Add the host first; the list of hosts shows their names.`,
    { kind: 'host', name },
    { action: 'add_host' },
  );
}

export async function addHost(
  home: string,
  host: HostConfig,
  options: { replace?: boolean } = {},
): Promise<HostConfig> {
  const hosts = await readHosts(home);
  const index = hosts.findIndex((h) => h.name === host.name);
  if (index !== -1 && !options.replace) {
    throw new UpkeepError(
      'ALREADY_EXISTS',
      `A host named "${host.name}" exists. Remove it first, or choose another name.`,
      { kind: 'host', name: host.name },
    );
  }
  if (index === -1) hosts.push(host);
  else hosts[index] = host;
  await writeHosts(home, hosts);
  return host;
}

export async function removeHost(home: string, name: string): Promise<void> {
  const hosts = await readHosts(home);
  const rest = hosts.filter((h) => h.name !== name);
  if (rest.length === hosts.length) throw unknownHost(name);
  await writeHosts(home, rest);
}
