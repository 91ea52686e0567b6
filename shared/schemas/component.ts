import { z } from 'zod';
import {
  CHECK_TYPES,
  UPDATE_METHODS,
  checkTypeDescriptor,
  updateMethodDescriptor,
  type CheckTypeEntry,
  type UpdateMethodEntry,
} from '../descriptors/registry';
import { missingRequirements } from '../descriptors/types';
import { isRecord } from '../guards';

/** The two axes of a component config: its check type and its update method, from their descriptors. */
export { CHECK_TYPES, UPDATE_METHODS, type CheckType, type UpdateMethod } from '../descriptors/registry';

export const COMPARE_SCHEMES = [
  'python',
  'semantic',
  'unequal',
  'python_unequal',
  'semantic_unequal',
  'calendar',
] as const;
export type CompareScheme = (typeof COMPARE_SCHEMES)[number];

export const COMPONENT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const componentIdSchema = z
  .string()
  .regex(COMPONENT_ID_PATTERN, 'must be 1-64 characters of a-z, 0-9, "_" or "-", starting with a letter or digit');

const nonEmpty = z.string().trim().min(1, 'must not be empty');
/** A command as argv items; never run through a shell. */
export const argvSchema = z.array(z.string()).min(1, 'needs at least the program to run');

const branchSpecSchema = z.object({
  name: nonEmpty,
  branch: nonEmpty,
  commitish: z.array(nonEmpty).optional(),
});
export type BranchSpec = z.infer<typeof branchSpecSchema>;

export const VERSION_FROM_FORMS =
  '"git", { file } (a file holding just the version), { file, json }, { file, regex }, { command, regex? }, { pip, python? }, { npm, global? } or { frontmatter }';

export const versionFromSchema = z.union(
  [
    z.literal('git'),
    // One form for files, so a mistake in json or regex is reported against that key.
    z
      .strictObject({ file: nonEmpty, json: nonEmpty.optional(), regex: nonEmpty.optional() })
      .refine((v) => v.json === undefined || v.regex === undefined, {
        message: 'takes json (a dotted path into a JSON file) or regex, not both',
        path: ['regex'],
      }),
    z.strictObject({ command: argvSchema, regex: nonEmpty.optional() }),
    z.strictObject({ pip: nonEmpty, python: nonEmpty.optional() }),
    z.strictObject({ npm: nonEmpty, global: z.boolean().optional() }),
    z.strictObject({ frontmatter: nonEmpty }),
  ],
  { error: `must be one of: ${VERSION_FROM_FORMS}` },
);
export type VersionFrom = z.infer<typeof versionFromSchema>;

const healthSchema = z.union(
  [
    z.strictObject({
      url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
      expect_status: z.number().int().min(100).max(599).optional(),
      timeout: z.number().positive().max(3600).optional(),
    }),
    z.strictObject({ command: argvSchema, timeout: z.number().positive().max(3600).optional() }),
  ],
  { error: 'must be { url, expect_status?, timeout? } or { command, timeout? } (command as a list of argv items)' },
);

const backupPathsSchema = z.strictObject({
  database: z.array(nonEmpty).optional(),
  config: z.array(nonEmpty).optional(),
  data: z.array(nonEmpty).optional(),
  exclude: z.array(nonEmpty).optional(),
});

const autoUpdateSchema = z.strictObject({
  enabled: z.boolean().default(false),
  window: nonEmpty.optional(),
  min_release_age: nonEmpty.optional(),
  allow_major: z.boolean().optional(),
  security_only: z.boolean().optional(),
});

/** A string command (OctoPrint style) or argv; strings are split into argv words, never given to a shell. */
const commandSchema = z.union([nonEmpty, argvSchema], {
  error: 'must be a command string (split into words, never run by a shell) or a list of argv items',
});

/**
 * The keys of a component config: a superset of OctoPrint's softwareupdate check config (README,
 * "Components"). Keys not listed here are kept (OctoPrint configs carry more), but every listed key is checked.
 */
const componentKeysSchema = z.looseObject({
  name: nonEmpty.optional(),
  type: z.enum(CHECK_TYPES, { error: `must be one of: ${CHECK_TYPES.join(', ')}` }),
  folder: nonEmpty.optional(),
  current: nonEmpty.optional(),
  version_from: versionFromSchema.optional(),
  user: nonEmpty.optional(),
  repo: nonEmpty.optional(),
  branch: nonEmpty.optional(),
  prerelease: z.boolean().optional(),
  prerelease_channel: nonEmpty.optional(),
  stable_branch: branchSpecSchema.optional(),
  prerelease_branches: z.array(branchSpecSchema).optional(),
  release_compare: z.enum(COMPARE_SCHEMES, { error: `must be one of: ${COMPARE_SCHEMES.join(', ')}` }).optional(),
  /** Offer releases lower than the installed or highest seen version, as a check asked for a downgrade does. Default false. */
  allow_downgrade: z.boolean().optional(),
  /** OctoPrint's force_base: compare base versions only (`1.4.0rc1` as `1.4.0`). Default false. */
  force_base: z.boolean().optional(),
  package: nonEmpty.optional(),
  header_url: nonEmpty.optional(),
  url: nonEmpty.optional(),
  header_name: nonEmpty.optional(),
  header_method: z.enum(['head', 'get', 'HEAD', 'GET']).optional(),
  jsondata: nonEmpty.optional(),
  command: commandSchema.optional(),
  api_base: nonEmpty.optional(),
  index_url: nonEmpty.optional(),
  registry: nonEmpty.optional(),
  channel: nonEmpty.optional(),
  method: z.enum(UPDATE_METHODS, { error: `must be one of: ${UPDATE_METHODS.join(', ')}` }).optional(),
  pip: nonEmpty.optional(),
  python: nonEmpty.optional(),
  update_script: commandSchema.optional(),
  asset: nonEmpty.optional(),
  checksum: z
    .string()
    .regex(/^sha256:[0-9a-fA-F]{64}$/, 'must look like sha256:<64 hex digits>')
    .optional(),
  require_checksum: z.boolean().optional(),
  signature: nonEmpty.optional(),
  public_key: nonEmpty.optional(),
  preserve: z.array(nonEmpty).optional(),
  install: z.array(argvSchema).optional(),
  migrations: z.array(argvSchema).optional(),
  restart: argvSchema.optional(),
  health: healthSchema.optional(),
  backup: backupPathsSchema.optional(),
  auto_update: autoUpdateSchema.optional(),
  rollback_on_failure: z.boolean().optional(),
  file: nonEmpty.optional(),
  function_id: nonEmpty.optional(),
  api_key_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
    .optional(),
  token_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
    .optional(),
  global: z.boolean().optional(),
  /** pip_env: a requirements file whose pins and ranges bound the offered versions (relative to folder). */
  requirements: nonEmpty.optional(),
  /** pip_env: a constraints file (`pip -c`), honoured like requirements. */
  constraints: nonEmpty.optional(),
  /** npm_env: offer and install versions outside the ranges package.json allows. */
  cross_ranges: z.boolean().optional(),
  /** pip_env / npm_env / apt: only these packages (names). */
  only: z.array(nonEmpty).optional(),
  /** pip_env / npm_env / apt: never these packages (names). */
  ignore: z.array(nonEmpty).optional(),
});

type ComponentKeys = z.infer<typeof componentKeysSchema>;

/** The keys a descriptor's `requires` lists, each of which the config then holds. */
type RequiredKeys<D> = D extends { readonly requires: readonly (infer R)[] }
  ? R extends { readonly key: infer K }
    ? K & keyof ComponentKeys
    : never
  : never;
type Holding<K extends keyof ComponentKeys> = { [P in K]-?: NonNullable<ComponentKeys[P]> };

/** One check type's config: its `type` and the keys its descriptor requires (a union over the type axis). */
export type CheckConfigOf<D> = D extends CheckTypeEntry ? { type: D['type'] } & Holding<RequiredKeys<D>> : never;
/** One update method's part of a config (a union over the method axis; no method: never updated). */
export type MethodConfigOf<D> = D extends UpdateMethodEntry
  ? { method: D['method'] } & Holding<RequiredKeys<D>>
  : never;

/**
 * A valid component config: its keys, one check type's part and one update method's part (or none).
 * `config.type === 'git_commit'` tells the compiler that `folder` is there; no cast needed.
 */
export type ComponentConfig = ComponentKeys &
  CheckConfigOf<CheckTypeEntry> &
  (MethodConfigOf<UpdateMethodEntry> | { method?: undefined });
/** The config of one check type. */
export type ConfigOfType<T extends CheckTypeEntry['type']> = Extract<ComponentConfig, { type: T }>;
/** The config of one update method. */
export type ConfigOfMethod<M extends UpdateMethodEntry['method']> = Extract<ComponentConfig, { method: M }>;

/** What a config misses for its type and method, from their descriptors. */
export function missingKeys(config: ComponentKeys): { key: string; message: string }[] {
  const type = checkTypeDescriptor(config.type);
  const method = config.method === undefined ? undefined : updateMethodDescriptor(config.method);
  return [...(type ? missingRequirements(type, config) : []), ...(method ? missingRequirements(method, config) : [])];
}

/** The one place the compiler learns what the descriptors' requirements promise. */
export function isCompleteConfig(config: ComponentKeys): config is ComponentConfig {
  return missingKeys(config).length === 0;
}

/** The component config schema: the keys, then each requirement of the type and the method (messages from their descriptors). */
export const componentConfigSchema = componentKeysSchema
  .superRefine((c, ctx) => {
    for (const miss of missingKeys(c)) ctx.addIssue({ code: 'custom', path: [miss.key], message: miss.message });
  })
  // Reached only when nothing is missing (zod stops at the issues above): the config is complete.
  .transform((c): ComponentConfig => (isCompleteConfig(c) ? c : z.NEVER));

/**
 * OctoPrint aliases to Upkeep names, applied before validation:
 * displayName → name, update_folder/checkout_folder → folder, method single_file_plugin → single_file,
 * prerelease + prerelease_channel → channel, and a method inferred from pip/update_script keys.
 */
export function normalizeComponentInput(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const c: Record<string, unknown> = { ...raw };
  if (c.name === undefined && c.displayName !== undefined) c.name = c.displayName;
  delete c.displayName;
  for (const alias of ['update_folder', 'checkout_folder']) {
    if (c.folder === undefined && c[alias] !== undefined) c.folder = c[alias];
    delete c[alias];
  }
  if (c.method === 'single_file_plugin') c.method = 'single_file';
  if (c.method === 'python_updater') delete c.method;
  if (c.method === undefined) {
    if (typeof c.pip === 'string') c.method = 'pip';
    else if (c.update_script !== undefined) c.method = 'update_script';
  }
  if (c.channel === undefined && c.prerelease === true) {
    // OctoPrint: a prerelease_channel picks its branch among prerelease_branches (one that is not
    // listed matches its own name only); with no prerelease_branches every prerelease is offered.
    const branches = Array.isArray(c.prerelease_branches) ? c.prerelease_branches : [];
    c.channel =
      typeof c.prerelease_channel === 'string' && c.prerelease_channel.trim() !== '' && branches.length > 0
        ? c.prerelease_channel
        : 'prerelease';
  }
  return c;
}
