// The types the contract carries, one module per subject; import them from `shared/types`.
export type {
  ComponentConfig,
  CheckType,
  UpdateMethod,
  CompareScheme,
  VersionFrom,
  BranchSpec,
} from '../schemas/component';
export type { Settings, SettingKey, SettingsPatch } from '../schemas/settings';
export type { ErrorShape, ErrorCode } from '../errors';
export type * from './component';
export type * from './check';
export type * from './update';
export type * from './backup';
export type * from './discovery';
export type * from './schedule';
