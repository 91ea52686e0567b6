import { parse as parseYaml, YAMLParseError } from 'yaml';
import { describeIssues } from '../../../shared/contract';
import { describeUnsafe, findUnsafeValue } from '../../../shared/contract/plain-data';
import { UpkeepError } from '../../../shared/errors';
import {
  COMPONENT_ID_PATTERN,
  componentConfigSchema,
  normalizeComponentInput,
  type ComponentConfig,
} from '../../../shared/schemas/component';
import { isRecord, isStringArray } from '../../../shared/guards';

/** Parse a YAML or JSON document (JSON is YAML) with a clear error naming the line. */
export function parseDocument(text: string, source: string): unknown {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true, maxAliasCount: MAX_ALIAS_COUNT, uniqueKeys: true });
  } catch (error) {
    throw documentError(error, source);
  }
  const cycle = findUnsafeValue(doc);
  if (cycle) {
    const { field, message } = describeUnsafe(cycle, undefined, '(document)');
    throw new UpkeepError('INVALID_CONFIG', `${source}: ${message}.`, { file: source, fields: [field] });
  }
  return doc;
}

/** Aliases (*name) a document may expand: enough for shared settings, far too few for a "billion laughs". */
const MAX_ALIAS_COUNT = 100;

function documentError(error: unknown, source: string): unknown {
  if (error instanceof YAMLParseError) {
    const line = error.linePos?.[0]?.line;
    return new UpkeepError(
      'INVALID_CONFIG',
      `${source}${line ? ` line ${line}` : ''}: not valid YAML or JSON (${error.message.split('\n')[0]}). Fix the syntax and try again.`,
      { file: source, line },
    );
  }
  // The yaml library's guard against alias bombs throws a ReferenceError, not a parse error.
  if (error instanceof ReferenceError && /alias/i.test(error.message)) {
    return new UpkeepError(
      'INVALID_CONFIG',
      `${source}: its aliases (*name) expand to too many nodes (more than ${MAX_ALIAS_COUNT} alias expansions, as in a "billion laughs" document). Write the values out, or use fewer aliases.`,
      { file: source },
    );
  }
  return error;
}

/** Validate one component config; errors name the component and the key, e.g. `components.web.user: is required…`. */
export function validateComponent(id: string, raw: unknown, source = 'components'): ComponentConfig {
  if (!COMPONENT_ID_PATTERN.test(id)) {
    throw new UpkeepError(
      'INVALID_CONFIG',
      `${source}: "${id.slice(0, 80)}" is not a valid component id: use 1-64 characters of a-z, 0-9, "_" or "-", starting with a letter or digit.`,
      { component: id, fields: [`components.${id}`] },
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UpkeepError('INVALID_CONFIG', `${source}: components.${id} must be a mapping of keys (type, name, …).`, {
      component: id,
      fields: [`components.${id}`],
    });
  }
  // Before the schema, which would drop a `__proto__` key; a NUL would only fail later, in a file or command call.
  const unsafe = findUnsafeValue(raw, { protoKeys: true, nul: true });
  if (unsafe) {
    const { field, message } = describeUnsafe(unsafe, `components.${id}`);
    throw new UpkeepError('INVALID_CONFIG', `${source}: ${message}.`, { component: id, fields: [field] });
  }
  const result = componentConfigSchema.safeParse(normalizeComponentInput(raw));
  if (!result.success) {
    const { message, fields } = describeIssues(result.error.issues, `components.${id}`);
    throw new UpkeepError('INVALID_CONFIG', `${source}: ${message}`, { component: id, fields });
  }
  return result.data;
}

/**
 * A document with a `components:` mapping (the `component add --file` format). Every component is
 * validated; all problems are reported together so a user can fix a file in one pass.
 */
export function parseComponentsDocument(
  text: string,
  source: string,
  options: { allowBareMapping?: boolean } = {},
): Record<string, ComponentConfig> {
  const doc = parseDocument(text, source);
  let mapping: unknown;
  if (isRecord(doc) && 'components' in doc) {
    mapping = doc.components;
  } else if (options.allowBareMapping) {
    mapping = doc;
  } else {
    throw new UpkeepError(
      'INVALID_CONFIG',
      `${source}: expected a top-level "components:" mapping of id → component config.`,
      {
        file: source,
      },
    );
  }
  return validateComponentsMapping(mapping, source);
}

export function validateComponentsMapping(mapping: unknown, source: string): Record<string, ComponentConfig> {
  if (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping)) {
    throw new UpkeepError('INVALID_CONFIG', `${source}: "components" must be a mapping of id → component config.`, {
      file: source,
    });
  }
  const out: Record<string, ComponentConfig> = {};
  const errors: UpkeepError[] = [];
  for (const [id, raw] of Object.entries(mapping)) {
    try {
      out[id] = validateComponent(id, raw, source);
    } catch (error) {
      if (error instanceof UpkeepError) errors.push(error);
      else throw error;
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new UpkeepError('INVALID_CONFIG', errors.map((e) => e.message).join('\n'), {
      fields: errors.flatMap((e) => (isStringArray(e.details?.fields) ? e.details.fields : [])),
    });
  }
  if (Object.keys(out).length === 0) {
    throw new UpkeepError('INVALID_CONFIG', `${source}: no components defined.`, { file: source });
  }
  return out;
}
