import type { CheckType, UpdateMethod } from '../../../../shared/types';

// Literal lists rather than the schema's arrays, so the panel does not bundle zod (~250 KB). The Record
// types make the compiler report a check type or update method added to the schema and missing here.
const CHECK_TYPE_SET: Record<CheckType, true> = {
  github_release: true,
  github_commit: true,
  bitbucket_commit: true,
  gitlab_release: true,
  git_commit: true,
  pypi_release: true,
  npm_release: true,
  httpheader: true,
  jsondata: true,
  command_line: true,
  openwebui: true,
  always_current: true,
  never_current: true,
  pip_env: true,
  npm_env: true,
  apt: true,
};

const UPDATE_METHOD_SET: Record<UpdateMethod, true> = {
  pip: true,
  npm: true,
  release_archive: true,
  git: true,
  single_file: true,
  update_script: true,
  openwebui: true,
  sleep_a_bit: true,
  pip_env: true,
  npm_env: true,
  apt: true,
};

export const CHECK_TYPES = Object.keys(CHECK_TYPE_SET) as CheckType[];
export const UPDATE_METHODS = Object.keys(UPDATE_METHOD_SET) as UpdateMethod[];
