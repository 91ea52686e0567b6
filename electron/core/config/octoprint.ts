import { UpkeepError } from '../../../shared/errors';
import type { ComponentConfig } from '../../../shared/schemas/component';
import { parseDocument, validateComponent } from './validate';
import { isRecord } from '../../../shared/guards';

export interface OctoprintImport {
  components: Record<string, ComponentConfig>;
  skipped: { id: string; reason: string }[];
}

/**
 * Read `plugins.softwareupdate.checks` from an OctoPrint `config.yaml`. Keys keep their OctoPrint
 * meaning; `displayName` → `name`, `checkout_folder`/`update_folder` → `folder`. Checks Upkeep
 * cannot take as they are (OctoPrint's own bundled entries with no type, bad ids) are listed as skipped
 * with the reason, never dropped silently.
 */
export function importOctoprintConfig(text: string, source = 'config.yaml'): OctoprintImport {
  const doc = parseDocument(text, source);
  const plugins = isRecord(doc) ? doc.plugins : undefined;
  const softwareupdate = isRecord(plugins) ? plugins.softwareupdate : undefined;
  const checks = isRecord(softwareupdate) ? softwareupdate.checks : undefined;
  if (typeof checks !== 'object' || checks === null || Array.isArray(checks)) {
    throw new UpkeepError(
      'INVALID_CONFIG',
      `${source}: no plugins.softwareupdate.checks section. Point Upkeep at OctoPrint's config.yaml (usually ~/.octoprint/config.yaml).`,
      { file: source },
    );
  }
  const components: Record<string, ComponentConfig> = {};
  const skipped: { id: string; reason: string }[] = [];
  for (const [rawId, check] of Object.entries(checks)) {
    const id = rawId
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '_')
      .replace(/^[_-]+/, '')
      .slice(0, 64);
    if (typeof check !== 'object' || check === null) {
      skipped.push({ id: rawId, reason: 'the check is empty (OctoPrint fills it from the plugin at run time)' });
      continue;
    }
    try {
      components[id] = validateComponent(id, check, source);
    } catch (error) {
      if (!(error instanceof UpkeepError)) throw error;
      skipped.push({ id: rawId, reason: error.message });
    }
  }
  return { components, skipped };
}
