export {
  createBackupService,
  type BackupService,
  type BackupServiceDeps,
  type CreateBackupRequest,
  type RestoreBackupRequest,
  type ListBackupsFilter,
} from './service';
export {
  BackupStore,
  recoverInterruptedRestores,
  type BackupProgress,
  type BackupPhase,
  type BackupStoreOptions,
} from './store';
export { planRetention, referencedByHistory, type RetentionPolicy, type RetentionDecision } from './retention';
export { selectEntries, Matcher, DEFAULT_EXCLUDES, LOG_PATTERNS, type PathSets } from './select';
export { copySqliteConsistent } from './sqlite-copy';
export { manifestSchema, type BackupManifest } from './manifest';
