import type { CommandSpec } from '../context';
import { backupCommands } from './backup';
import { checkCommands } from './check';
import { componentCommands } from './component';
import { demoCommands } from './demo';
import { discoverCommands } from './discover';
import { holdCommands } from './hold';
import { hostCommands } from './host';
import { rolloutCommands } from './rollout';
import { scheduleCommands } from './schedule';
import { serveCommands } from './serve';
import { settingsCommands } from './settings';
import { updateCommands } from './update';

/** Every CLI command, in the order `upkeep --help` lists them. Add a command group here. */
export const COMMANDS: CommandSpec[] = [
  ...componentCommands,
  ...checkCommands,
  ...settingsCommands,
  ...serveCommands,
  ...discoverCommands,
  ...updateCommands,
  ...holdCommands,
  ...backupCommands,
  ...scheduleCommands,
  ...rolloutCommands,
  ...hostCommands,
  ...demoCommands,
];
