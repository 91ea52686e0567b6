/**
 * Descriptors: what each check type and update method says about itself, as plain data (no zod, no
 * I/O), so the config schema, the engine and the panel all read the same facts (ARCHITECTURE.md,
 * "Registries and descriptors"). A check type's checker and an update method's updater live in
 * electron/core; their descriptors live here, one module each, listed once in ./registry.ts.
 */

/** A channel as a select lists it. */
export interface ChannelChoice {
  id: string;
  label: string;
}

/**
 * A config key the type or method cannot work without; the schema reports it missing with `message`.
 * A key holds a value when it is set, not empty and not false.
 */
export interface Requirement<K extends string = string> {
  readonly key: K;
  readonly message: string;
}

/** One of several keys is needed (python or folder …); reported at the first. */
export interface OneOfRequirement {
  readonly keys: readonly [string, ...string[]];
  readonly message: string;
}

/**
 * The channels a check type offers, and so accepts:
 * - `fixed`: the listed ones (the first is the default);
 * - `release_branches`: OctoPrint's stable, each of `prerelease_branches`, the config's own
 *   `prerelease_channel` and `prerelease` (GitHub releases);
 * - `dist_tags`: the registry's dist-tags, known only by asking it (`latest` until then); `stable`
 *   is accepted as another name for `latest`.
 */
export type ChannelRule =
  | { readonly kind: 'fixed'; readonly options: readonly [ChannelChoice, ...ChannelChoice[]] }
  | { readonly kind: 'release_branches' }
  | { readonly kind: 'dist_tags' };

/**
 * Keys the component form shows as fields for some types or methods only (name, type, method,
 * folder, current and api_base are shown for every component; other keys go into the JSON box).
 */
export type FormField = 'user' | 'repo' | 'package';

/** A package index a component's `package` key can name a package of. */
export type PackageIndex = 'pypi' | 'npm';

export interface CheckTypeDescriptor<T extends string = string, K extends string = string> {
  readonly type: T;
  /** What the panel calls it. */
  readonly label: string;
  /** Who answers its check, for messages ("GitHub answered 502"); null when the check never goes to the network. */
  readonly source: string | null;
  /** The package index its `package` key names a package of, when it has one (discovery matches on it). */
  readonly packageIndex?: PackageIndex;
  /** Where advisories of the installed version come from (`pypi`, `npm`), or null when nowhere. */
  readonly advisories: PackageIndex | null;
  readonly requires: readonly Requirement<K>[];
  readonly requiresOneOf?: readonly OneOfRequirement[];
  readonly channels: ChannelRule;
  /** Fields the component form shows for this type, besides the ones it always shows. */
  readonly fields: readonly FormField[];
}

export interface UpdateMethodDescriptor<M extends string = string, K extends string = string> {
  readonly method: M;
  readonly label: string;
  /** The package index whose package it installs, when it installs one by name. */
  readonly packageIndex?: PackageIndex;
  readonly requires: readonly Requirement<K>[];
  readonly requiresOneOf?: readonly OneOfRequirement[];
  readonly fields: readonly FormField[];
}

/** The channel a component follows when its config names none. */
export function defaultChannelOf(rule: ChannelRule): string {
  if (rule.kind === 'fixed') return rule.options[0].id;
  return rule.kind === 'dist_tags' ? 'latest' : 'stable';
}

/** Declares a check type's descriptor, keeping its literal type and required keys for the config types. */
export function defineCheckType<const T extends string, const K extends string = never>(
  d: CheckTypeDescriptor<T, K>,
): CheckTypeDescriptor<T, K> {
  return d;
}

/** Declares an update method's descriptor (see defineCheckType). */
export function defineUpdateMethod<const M extends string, const K extends string = never>(
  d: UpdateMethodDescriptor<M, K>,
): UpdateMethodDescriptor<M, K> {
  return d;
}

/** Whether a config key holds a value (set, not empty, not false). */
export function holdsValue(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && value !== false;
}

/** The requirements a config misses: each as the key to report and the message. */
export function missingRequirements(
  d: { requires: readonly Requirement[]; requiresOneOf?: readonly OneOfRequirement[] },
  config: Readonly<Record<string, unknown>>,
): { key: string; message: string }[] {
  const out: { key: string; message: string }[] = [];
  for (const r of d.requires) if (!holdsValue(config[r.key])) out.push({ key: r.key, message: r.message });
  for (const r of d.requiresOneOf ?? [])
    if (!r.keys.some((k) => holdsValue(config[k]))) out.push({ key: r.keys[0], message: r.message });
  return out;
}
