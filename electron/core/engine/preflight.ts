import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fromErrorShape, UpkeepError } from '../../../shared/errors';
import type { Component, UpdateTarget } from '../../../shared/types';
import { assertApartFromDataDir } from '../lib/data-dir';
import type { Updater, UpdaterContext } from '../updaters/types';
import type { RunJournal } from './journal';
import type { RunKit } from './run-kit';
import type { RunLog } from './run-log';
import type { UpdateOptions } from './types';

const MIB = 1024 * 1024;

/**
 * The preflight step, second half: with the run's updater context made from the re-checked target,
 * the credential, the work folder, the updater's own preflight and the machine. Throws (and
 * nothing has been changed) when the run must not go on.
 */
export async function preflightContext(kit: RunKit, ctx: UpdaterContext, updater: Updater, log: RunLog): Promise<void> {
  // A token_env naming an unset variable stops the run here, before anything is changed.
  ctx.credential();
  await fs.mkdir(ctx.workDir, { recursive: true });
  await updater.preflight?.(ctx);
  await checkMachine(kit, ctx, updater, log);
}

/**
 * The preflight step, first half: check the component again, forced. Returns what to install
 * (journaled as the run's target), or throws why there is nothing to.
 */
export async function recheckTarget(
  kit: RunKit,
  journal: RunJournal,
  component: Component,
  options: UpdateOptions,
  log: RunLog,
): Promise<UpdateTarget> {
  const checks = kit.deps.checks();
  if (!checks)
    throw new UpkeepError(
      'INTERNAL',
      'The version check service is not available, so the update target cannot be re-checked.',
    );
  const check = await checks.checkOne(component.id, { force: true, ...(options.downgrade ? { downgrade: true } : {}) });
  if (check.error) throw fromErrorShape(check.error);
  journal.from = check.installed;
  // A skipped version is offered as no update; a forced update installs it all the same.
  const skippedTarget =
    !check.update_available && check.skipped_version != null && check.skipped_version === check.latest;
  if (skippedTarget && !options.force) {
    throw new UpkeepError(
      'NO_UPDATE',
      `${check.latest} of ${component.name} is skipped (you chose to skip this version). Unskip it, or force the update to install it.`,
      { skipped_version: check.skipped_version },
      { action: 'unskip_version' },
    );
  }
  if (!check.update_available && !options.force) {
    throw new UpkeepError(
      'NO_UPDATE',
      `${component.name} is up to date (${check.installed ?? 'unknown'}${check.latest ? `, latest ${check.latest}` : ''}). Force the update to reinstall it.`,
      undefined,
      { action: 'force_update' },
    );
  }
  if (
    !check.update_available &&
    !skippedTarget &&
    check.installed &&
    check.target &&
    check.target.version !== check.installed
  ) {
    // A forced update reinstalls; it never installs a lower version than the one running.
    throw new UpkeepError(
      'DOWNGRADE_REFUSED',
      `${component.name} ${check.installed} is newer than ${check.target.version} on its channel; a forced update reinstalls but does not downgrade. To go back, roll it back to an earlier version.`,
      { installed: check.installed, target: check.target.version },
      { action: 'roll_back' },
    );
  }
  if (!check.target) {
    throw new UpkeepError(
      'NO_UPDATE',
      `The check of ${component.name} found no release to install${check.latest ? ` (latest ${check.latest})` : ''}.`,
    );
  }
  let target = check.target;
  if (journal.packages && target.packages) {
    // A chosen subset of an environment: the run installs (and history names) only those.
    const chosen = target.packages.filter((p) => journal.packages?.includes(p.name) && p.target !== p.installed);
    const names = chosen.map((p) => `${p.name} ${p.target}`);
    if (chosen.length)
      target = {
        ...target,
        version: names.length > 3 ? `${names.slice(0, 3).join(', ')} +${names.length - 3} more` : names.join(', '),
      };
  }
  journal.target = target;
  journal.to = target.version;
  log.write(
    `installed ${check.installed ?? 'unknown'}, target ${target.version}${check.explanation ? ` (${check.explanation})` : ''}`,
  );
  return target;
}

/** The folder is apart from the data directory, exists and is writable; the disk has room. */
export async function checkMachine(kit: RunKit, ctx: UpdaterContext, updater: Updater, log: RunLog): Promise<void> {
  const folder = updater.folder(ctx);
  // Whatever the config says: a folder that is, holds or lies within the data directory (or is /)
  // is never backed up, written or restored by an update — before anything is changed.
  for (const [key, where] of [
    ['folder', ctx.config.folder],
    [ctx.config.python ? 'python' : 'folder', folder],
  ] as const) {
    if (where)
      assertApartFromDataDir(where, kit.deps.layout.home, {
        what: `The folder of ${ctx.component.id} cannot be updated`,
        component: ctx.component.id,
        field: `components.${ctx.component.id}.${key}`,
      });
  }
  if (folder) {
    // Missing or unreadable (null): refused just below as not there.
    const st = await fs.stat(folder).catch(() => null);
    if (!st?.isDirectory())
      throw new UpkeepError(
        'NOT_FOUND',
        `The folder ${folder} of ${ctx.component.id} does not exist. Fix \`folder\` in its config.`,
      );
    for (const dir of [folder, path.dirname(folder)]) {
      await fs.access(dir, fs.constants.W_OK).catch(() => {
        throw new UpkeepError(
          'FORBIDDEN',
          `Upkeep cannot write to ${dir}. Run it as the user that owns ${folder}, or fix the permissions.`,
        );
      });
    }
  }
  const where = folder ?? kit.deps.layout.home;
  const download = updater.downloadSize?.(ctx) ?? 0;
  const minMb = kit.deps.settings.get().min_free_space_mb;
  // Free space that cannot be read (null) is unknown: the run goes on, and a full disk fails its step, which rolls back.
  const stat = await fs.statfs(where).catch(() => null);
  if (stat) {
    const free = Number(stat.bavail) * Number(stat.bsize);
    // The download and its extracted copy both land on this disk before anything is replaced.
    const needed = minMb * MIB + download * 2;
    if (free < needed) {
      throw new UpkeepError(
        'INSUFFICIENT_SPACE',
        `Only ${Math.floor(free / MIB)} MiB are free on the disk of ${where}; the update needs ${Math.ceil(needed / MIB)} MiB (min_free_space_mb ${minMb}${download ? ` plus twice the ${Math.ceil(download / MIB)} MiB download` : ''}). Free some space, or lower min_free_space_mb in Settings.`,
        { free_bytes: free, needed_bytes: needed },
      );
    }
    log.write(`${Math.floor(free / MIB)} MiB free on the disk of ${where}`);
  }
}
