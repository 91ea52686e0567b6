import type { UpdateMethod } from '../../../shared/schemas/component';
import { aptUpdater } from './apt';
import { gitUpdater } from './git';
import { npmUpdater } from './npm';
import { npmEnvUpdater } from './npm-env';
import { openwebuiUpdater } from './openwebui';
import { pipUpdater } from './pip';
import { pipEnvUpdater } from './pip-env';
import { releaseArchiveUpdater } from './release-archive';
import { singleFileUpdater } from './single-file';
import { sleepABitUpdater } from './sleep-a-bit';
import type { Updater } from './types';
import { updateScriptUpdater } from './update-script';

/** Every update method, once. A method added to UPDATE_METHODS without an updater is a compile error. */
export const UPDATERS = {
  pip: pipUpdater,
  npm: npmUpdater,
  release_archive: releaseArchiveUpdater,
  git: gitUpdater,
  single_file: singleFileUpdater,
  update_script: updateScriptUpdater,
  openwebui: openwebuiUpdater,
  sleep_a_bit: sleepABitUpdater,
  pip_env: pipEnvUpdater,
  npm_env: npmEnvUpdater,
  apt: aptUpdater,
} satisfies Record<UpdateMethod, Updater>;

export function updaterFor(method: UpdateMethod): Updater {
  return UPDATERS[method];
}
