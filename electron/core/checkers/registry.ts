import type { CheckType } from '../../../shared/schemas/component';
import { alwaysCurrentChecker } from './always-current';
import { aptChecker } from './apt';
import { bitbucketCommitChecker } from './bitbucket-commit';
import { commandLineChecker } from './command-line';
import { gitCommitChecker } from './git-commit';
import { githubCommitChecker } from './github-commit';
import { githubReleaseChecker } from './github-release';
import { gitlabReleaseChecker } from './gitlab-release';
import { httpheaderChecker } from './httpheader';
import { jsondataChecker } from './jsondata';
import { neverCurrentChecker } from './never-current';
import { npmEnvChecker } from './npm-env';
import { npmReleaseChecker } from './npm-release';
import { openwebuiChecker } from './openwebui';
import { pipEnvChecker } from './pip-env';
import { pypiReleaseChecker } from './pypi-release';
import type { Checker } from './types';

/** Every check type, once. A type missing here is a compile error. */
export const CHECKERS = {
  github_release: githubReleaseChecker,
  github_commit: githubCommitChecker,
  bitbucket_commit: bitbucketCommitChecker,
  gitlab_release: gitlabReleaseChecker,
  git_commit: gitCommitChecker,
  pypi_release: pypiReleaseChecker,
  npm_release: npmReleaseChecker,
  httpheader: httpheaderChecker,
  jsondata: jsondataChecker,
  command_line: commandLineChecker,
  openwebui: openwebuiChecker,
  always_current: alwaysCurrentChecker,
  never_current: neverCurrentChecker,
  pip_env: pipEnvChecker,
  npm_env: npmEnvChecker,
  apt: aptChecker,
} satisfies Record<CheckType, Checker>;

export function checkerFor(type: CheckType): Checker {
  return CHECKERS[type];
}
