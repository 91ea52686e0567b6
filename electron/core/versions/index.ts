export {
  compareVersions,
  displayVersion,
  isPrereleaseVersion,
  isVersion,
  orderVersions,
  sortVersionsDescending,
  SCHEME_LABELS,
  type VersionComparison,
  type VersionRelation,
} from './compare';
export { frontmatterVersion, parseFrontmatter } from './frontmatter';
export {
  describeToVersion,
  expandHome,
  jsonPath,
  readInstalledVersion,
  resolveComponentPath,
  type InstalledVersion,
  type InstalledVersionOptions,
} from './installed';
export { cleanVersionText, comparePep440, formatPep440, isPep440, parsePep440, type Pep440Version } from './pep440';
export { runArgv, splitCommand, type ArgvResult, type RunArgvOptions } from './run-argv';
export { compareCalendar, compareSemantic, parseCalendar, parseSemantic, type SemanticVersion } from './semantic';
