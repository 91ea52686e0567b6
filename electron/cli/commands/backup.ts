import { UpkeepError } from '../../../shared/errors';
import type { BackupInfo, BackupSince, BackupSort, BackupType } from '../../../shared/types';
import { table, type CommandSpec } from '../context';
import { isOneOf } from '../../../shared/guards';

const TYPES: BackupType[] = ['full', 'database', 'config', 'data'];
const SINCE: BackupSince[] = ['1d', '7d', '30d', '90d', 'all'];
const SORTS: BackupSort[] = ['date', 'size', 'name', 'type'];

function oneOf<T extends string>(value: unknown, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!isOneOf(value, allowed)) {
    throw new UpkeepError('INVALID_REQUEST', `${flag} must be one of: ${allowed.join(', ')}.`);
  }
  return value;
}

function needYes(values: Record<string, unknown>, what: string): void {
  if (values.yes !== true) throw new UpkeepError('INVALID_REQUEST', `${what} Add --yes to confirm.`);
}

function oneId(positionals: string[], usage: string): string {
  const [id, ...rest] = positionals;
  if (!id || rest.length) throw new UpkeepError('INVALID_REQUEST', `Usage: ${usage}`);
  return id;
}

function human(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** The `backup list --json` entry shape (README, "The command line"), plus a few useful extras. */
function listed(b: BackupInfo) {
  return {
    id: b.id,
    component: b.component,
    type: b.type,
    name: b.name,
    size: b.size,
    compressed_size: b.compressed_size,
    sha256: b.sha256,
    created_at: b.created_at,
    reason: b.reason,
    pinned: b.pinned,
    file_count: b.file_count,
    component_version: b.component_version,
    verification: b.verification,
  };
}

/** The list's CHECKED column: the last whole check of the archive (never: `-`). */
function checked(b: BackupInfo): string {
  const v = b.verification;
  if (!v) return '-';
  return v.ok ? `ok ${v.at.slice(0, 10)}` : 'DAMAGED';
}

export const backupCommands: CommandSpec[] = [
  {
    path: ['backup', 'create'],
    usage:
      'upkeep backup create ID [--type full|database|config|data] [--name N] [--description D] [--include-logs] [--no-compress] [--pin]',
    summary: "Back up a component's folder (or its database/config/data paths)",
    options: {
      type: { type: 'string' },
      name: { type: 'string' },
      description: { type: 'string' },
      'include-logs': { type: 'boolean' },
      'no-compress': { type: 'boolean' },
      pin: { type: 'boolean' },
    },
    async run(ctx, { positionals, values }) {
      const component = oneId(positionals, 'upkeep backup create ID [--type T] …');
      const type = oneOf(values.type, TYPES, '--type');
      const backup = await ctx.call('createBackup', {
        component,
        ...(type ? { type } : {}),
        ...(typeof values.name === 'string' ? { name: values.name } : {}),
        ...(typeof values.description === 'string' ? { description: values.description } : {}),
        include_logs: values['include-logs'] === true,
        compress: values['no-compress'] !== true,
        ...(values.pin === true ? { pinned: true } : {}),
      });
      const lines = [
        `Backup ${backup.id}: ${backup.type}, ${backup.file_count} files, ${human(backup.size)} → ${human(backup.compressed_size)}`,
        `sha256 ${backup.sha256}`,
      ];
      if (backup.skipped?.length)
        lines.push(
          `Not archived (${backup.skipped.length}): ${backup.skipped.slice(0, 10).join(', ')}${backup.skipped.length > 10 ? ', …' : ''}`,
        );
      return { json: { backup }, text: lines.join('\n') };
    },
  },
  {
    path: ['backup', 'list'],
    usage: 'upkeep backup list [ID] [--type T] [--since 1d|7d|30d|90d|all] [--limit N] [--sort date|size|name|type]',
    summary: 'List backups (from the manifests beside the archives)',
    options: {
      type: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      sort: { type: 'string' },
    },
    async run(ctx, { positionals, values }) {
      const [component, ...rest] = positionals;
      if (rest.length) throw new UpkeepError('INVALID_REQUEST', 'backup list takes at most one component ID.');
      let limit: number | undefined;
      if (values.limit !== undefined) {
        limit = Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 50)
          throw new UpkeepError('INVALID_REQUEST', '--limit must be a whole number from 1 to 50.');
      }
      const type = oneOf(values.type, TYPES, '--type');
      const since = oneOf(values.since, SINCE, '--since');
      const sort = oneOf(values.sort, SORTS, '--sort');
      const { backups, problems } = await ctx.call('listBackups', {
        ...(component ? { component } : {}),
        ...(type ? { type } : {}),
        ...(since ? { since } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(sort ? { sort } : {}),
      });
      const text = [
        backups.length
          ? table(
              ['ID', 'TYPE', 'NAME', 'CREATED', 'SIZE', 'ARCHIVE', 'REASON', 'CHECKED'],
              backups.map((b) => [
                b.id,
                b.type,
                b.name,
                b.created_at.replace('T', ' ').slice(0, 19),
                human(b.size),
                human(b.compressed_size),
                `${b.reason}${b.pinned ? ', pinned' : ''}`,
                checked(b),
              ]),
            )
          : 'No backups.',
        ...problems.map((p) => `problem: ${p.message}`),
      ].join('\n');
      return { json: { backups: backups.map(listed), problems }, text };
    },
  },
  {
    path: ['backup', 'verify'],
    usage: 'upkeep backup verify BACKUP_ID',
    summary: "Check a backup: the archive's sha256, every entry, every file's sha256",
    async run(ctx, { positionals }) {
      const id = oneId(positionals, 'upkeep backup verify BACKUP_ID');
      const result = await ctx.call('verifyBackup', { id });
      return {
        json: result,
        text: result.ok
          ? `Backup ${result.id} is intact: ${result.files} files, ${human(result.bytes)}.`
          : `Backup ${result.id} FAILED verification: ${result.error?.message ?? 'unknown error'}`,
        exitCode: result.ok ? 0 : 1,
      };
    },
  },
  {
    path: ['backup', 'restore'],
    usage: 'upkeep backup restore BACKUP_ID [--type full|database|config|data] [--no-safety-backup] --yes',
    summary: 'Restore a backup (verified first; the current state is backed up before the swap)',
    options: {
      type: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
      'no-safety-backup': { type: 'boolean' },
    },
    async run(ctx, { positionals, values }) {
      const id = oneId(positionals, 'upkeep backup restore BACKUP_ID [--type T] --yes');
      const type = oneOf(values.type, TYPES, '--type');
      needYes(
        values,
        `Restoring ${id} replaces ${type && type !== 'full' ? `the ${type} files` : 'the folder'} of its component.`,
      );
      const result = await ctx.call('restoreBackup', {
        id,
        ...(type ? { type } : {}),
        ...(values['no-safety-backup'] === true ? { safety_backup: false } : {}),
      });
      const lines = [
        `Restored ${result.restored.id} (${result.type}, ${result.files} files) into ${result.restored.component}.`,
      ];
      if (result.safety_backup) lines.push(`The state before the restore is in backup ${result.safety_backup.id}.`);
      return { json: result, text: lines.join('\n') };
    },
  },
  {
    path: ['backup', 'delete'],
    usage: 'upkeep backup delete BACKUP_ID --yes',
    summary: 'Delete a backup (archive and manifest)',
    options: { yes: { type: 'boolean', short: 'y' } },
    async run(ctx, { positionals, values }) {
      const id = oneId(positionals, 'upkeep backup delete BACKUP_ID --yes');
      needYes(values, `Deleting backup ${id} cannot be undone.`);
      const result = await ctx.call('deleteBackup', { id });
      return { json: result, text: `Deleted backup ${result.deleted}.` };
    },
  },
  {
    path: ['backup', 'pin'],
    usage: 'upkeep backup pin BACKUP_ID [--off]',
    summary: 'Pin a backup so retention never removes it (--off unpins)',
    options: { off: { type: 'boolean' } },
    async run(ctx, { positionals, values }) {
      const id = oneId(positionals, 'upkeep backup pin BACKUP_ID [--off]');
      const backup = await ctx.call('pinBackup', { id, pinned: values.off !== true });
      return { json: { backup }, text: `${backup.id} is ${backup.pinned ? 'pinned' : 'no longer pinned'}.` };
    },
  },
];
