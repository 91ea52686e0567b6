import type { ErrorShape } from '../../../../shared/errors';

/**
 * Split a validation error into messages per key under `prefix`. The engine names each field in
 * `details.fields` (e.g. `components.web.user`, `patch.check_interval_hours`) and writes
 * `<field>: <message>` into the message, joined by "; ". `''` collects what belongs to no key.
 */
export function messagesUnder(error: ErrorShape | null, prefix: string): Record<string, string> {
  if (!error) return {};
  const listed: unknown = error.details?.fields;
  const fields = Array.isArray(listed) ? listed.filter((f): f is string => typeof f === 'string') : [];
  const out: Record<string, string> = {};
  const add = (key: string, text: string) => {
    out[key] = out[key] ? `${out[key]}; ${text}` : text;
  };
  // Where each field's "<field>: " starts in the message; a field's text runs to the next one.
  const starts = fields
    .map((field) => ({ field, at: error.message.indexOf(`${field}: `) }))
    .filter((s) => s.at >= 0)
    .sort((a, b) => a.at - b.at);
  for (const field of new Set(fields)) {
    const i = starts.findIndex((s) => s.field === field);
    let text = error.message;
    if (i >= 0) {
      const begin = starts[i]!.at + field.length + 2;
      const end = starts[i + 1]?.at ?? error.message.length;
      text = error.message.slice(begin, end).replace(/[;\n\s]+$/, '');
    }
    if (field.startsWith(`${prefix}.`)) add(field.slice(prefix.length + 1).split('.')[0] ?? '', text);
    else if (field === prefix) add('id', text);
    else add('', text);
  }
  if (fields.length === 0) out[''] = error.message;
  return out;
}

/** Messages per config key of component `id` (INVALID_CONFIG from add/edit). */
export function fieldMessages(error: ErrorShape | null, id: string): Record<string, string> {
  return messagesUnder(error, `components.${id}`);
}
