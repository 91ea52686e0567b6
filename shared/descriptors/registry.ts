import { alwaysCurrentDescriptor } from './check-types/always-current';
import { aptDescriptor } from './check-types/apt';
import { bitbucketCommitDescriptor } from './check-types/bitbucket-commit';
import { commandLineDescriptor } from './check-types/command-line';
import { gitCommitDescriptor } from './check-types/git-commit';
import { githubCommitDescriptor } from './check-types/github-commit';
import { githubReleaseDescriptor } from './check-types/github-release';
import { gitlabReleaseDescriptor } from './check-types/gitlab-release';
import { httpheaderDescriptor } from './check-types/httpheader';
import { jsondataDescriptor } from './check-types/jsondata';
import { neverCurrentDescriptor } from './check-types/never-current';
import { npmEnvDescriptor } from './check-types/npm-env';
import { npmReleaseDescriptor } from './check-types/npm-release';
import { openwebuiDescriptor } from './check-types/openwebui';
import { pipEnvDescriptor } from './check-types/pip-env';
import { pypiReleaseDescriptor } from './check-types/pypi-release';
import { aptMethodDescriptor } from './update-methods/apt';
import { gitDescriptor } from './update-methods/git';
import { npmDescriptor } from './update-methods/npm';
import { npmEnvMethodDescriptor } from './update-methods/npm-env';
import { openwebuiMethodDescriptor } from './update-methods/openwebui';
import { pipDescriptor } from './update-methods/pip';
import { pipEnvMethodDescriptor } from './update-methods/pip-env';
import { releaseArchiveDescriptor } from './update-methods/release-archive';
import { singleFileDescriptor } from './update-methods/single-file';
import { sleepABitDescriptor } from './update-methods/sleep-a-bit';
import { updateScriptDescriptor } from './update-methods/update-script';
import type { CheckTypeDescriptor, PackageIndex, UpdateMethodDescriptor } from './types';

/**
 * Every check type, once, in the order the panel lists them. The type names, the config schema's
 * `type` axis and its per-type rules all come from here: a new type is its descriptor module plus
 * one line here (and its checker in electron/core/checkers/registry.ts, which the compiler demands).
 */
export const CHECK_TYPE_DESCRIPTORS = [
  githubReleaseDescriptor,
  githubCommitDescriptor,
  bitbucketCommitDescriptor,
  gitlabReleaseDescriptor,
  gitCommitDescriptor,
  pypiReleaseDescriptor,
  npmReleaseDescriptor,
  httpheaderDescriptor,
  jsondataDescriptor,
  commandLineDescriptor,
  openwebuiDescriptor,
  alwaysCurrentDescriptor,
  neverCurrentDescriptor,
  pipEnvDescriptor,
  npmEnvDescriptor,
  aptDescriptor,
] as const;

/** Every update method, once (the `method` axis); see CHECK_TYPE_DESCRIPTORS. */
export const UPDATE_METHOD_DESCRIPTORS = [
  pipDescriptor,
  npmDescriptor,
  releaseArchiveDescriptor,
  gitDescriptor,
  singleFileDescriptor,
  updateScriptDescriptor,
  openwebuiMethodDescriptor,
  sleepABitDescriptor,
  pipEnvMethodDescriptor,
  npmEnvMethodDescriptor,
  aptMethodDescriptor,
] as const;

export type CheckTypeEntry = (typeof CHECK_TYPE_DESCRIPTORS)[number];
export type UpdateMethodEntry = (typeof UPDATE_METHOD_DESCRIPTORS)[number];
export type CheckType = CheckTypeEntry['type'];
export type UpdateMethod = UpdateMethodEntry['method'];

export const CHECK_TYPES: readonly CheckType[] = CHECK_TYPE_DESCRIPTORS.map((d) => d.type);
export const UPDATE_METHODS: readonly UpdateMethod[] = UPDATE_METHOD_DESCRIPTORS.map((d) => d.method);

const byType = new Map<string, CheckTypeDescriptor>(CHECK_TYPE_DESCRIPTORS.map((d) => [d.type, d]));
const byMethod = new Map<string, UpdateMethodDescriptor>(UPDATE_METHOD_DESCRIPTORS.map((d) => [d.method, d]));

/** The descriptor of a check type (undefined for a name no descriptor has: a config from a newer version). */
export function checkTypeDescriptor(type: string): CheckTypeDescriptor | undefined {
  return byType.get(type);
}

/** The descriptor of an update method (undefined for an unknown name). */
export function updateMethodDescriptor(method: string): UpdateMethodDescriptor | undefined {
  return byMethod.get(method);
}

/** The descriptor of a known check type (every CheckType has one: the type is the registry's). */
export function checkTypeFacts(type: CheckType): CheckTypeDescriptor {
  const found = byType.get(type);
  if (!found)
    throw new Error(`No descriptor for check type ${type}: shared/descriptors/registry.ts lists every type once.`);
  return found;
}

/** The descriptor of a known update method. */
export function updateMethodFacts(method: UpdateMethod): UpdateMethodDescriptor {
  const found = byMethod.get(method);
  if (!found)
    throw new Error(
      `No descriptor for update method ${method}: shared/descriptors/registry.ts lists every method once.`,
    );
  return found;
}

export function isCheckType(name: string): name is CheckType {
  return byType.has(name);
}

export function isUpdateMethod(name: string): name is UpdateMethod {
  return byMethod.has(name);
}

/** Whether a component is about a package of this index: its check type reads one, or its method installs one. */
export function isPackageOf(config: { type: string; method?: string | undefined }, index: PackageIndex): boolean {
  return (
    checkTypeDescriptor(config.type)?.packageIndex === index ||
    (config.method !== undefined && updateMethodDescriptor(config.method)?.packageIndex === index)
  );
}
