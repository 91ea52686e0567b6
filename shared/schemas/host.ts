import { z } from 'zod';
import type { ErrorShape } from '../errors';

/** A host's name: what `--on NAME` and the panel call it. */
export const hostNameSchema = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    'use letters, digits, ".", "_" and "-" (up to 63), starting with a letter or digit',
  );

/** `user@host`: never an option to ssh (no leading "-"), no spaces or shell characters. */
const sshTargetSchema = z
  .string()
  .trim()
  .max(300)
  .regex(
    /^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}@[A-Za-z0-9._:[\]-]{1,253}$/,
    'must be USER@HOST (e.g. pi@raspberrypi.local)',
  )
  .refine((s) => !(s.split('@')[1] ?? '').startsWith('-'), 'the host part must not start with "-"');

const absolutePathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path')
  .refine((p) => !/[\0\n\r]/.test(p), 'must not hold control characters');

/** The command that starts Upkeep on the host; `serve --stdio` is added. The remote shell reads it. */
const remoteCommandSchema = z
  .string()
  .trim()
  .min(1)
  .max(1000)
  .refine(
    (c) => ![...c].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f),
    'must be one line without control characters',
  );

export const hostConfigSchema = z.strictObject({
  /** `local` names this computer in routed calls and rollouts, so no registered host may take it. */
  name: hostNameSchema.refine((n) => n.toLowerCase() !== 'local', '"local" is this computer\'s name: choose another'),
  ssh: sshTargetSchema,
  port: z.number().int().min(1).max(65535).optional(),
  /** A private key file (ssh -i). */
  identity: absolutePathSchema.optional(),
  /** A known_hosts file to check the host key against (ssh UserKnownHostsFile); never written by Upkeep. */
  known_hosts: absolutePathSchema.optional(),
  /** How to start Upkeep there (default `upkeep`), e.g. `node /opt/upkeep/bin/upkeep.mjs --data-dir /srv/upkeep`. */
  remote_upkeep: remoteCommandSchema.optional(),
});
export type HostConfig = z.output<typeof hostConfigSchema>;

/** A registered host as listHosts shows it. */
export interface HostView extends HostConfig {
  /** The command run over ssh (argv, for people to check or run by hand). */
  argv: string[];
}

/** testHost: the remote Upkeep's version and hostname, or why it could not be reached. */
export type HostTestResult =
  | { name: string; ok: true; upkeep: string; hostname: string; protocol: number }
  | { name: string; ok: false; error: ErrorShape };
