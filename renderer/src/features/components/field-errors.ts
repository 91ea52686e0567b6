import type { ErrorShape } from '../../../../shared/errors';

/**
 * Split an INVALID_CONFIG error into messages per config key. The engine names each field
 * `components.<id>.<key>` in `details.fields` and writes `<field>: <message>` into the message.
 * `''` collects what belongs to the component as a whole (a bad id, an unknown problem).
 */
export function fieldMessages(error: ErrorShape | null, id: string): Record<string, string> {
  if (!error) return {};
  const fields = Array.isArray(error.details?.fields) ? (error.details.fields as unknown[]).filter((f): f is string => typeof f === 'string') : [];
  const out: Record<string, string> = {};
  const prefix = `components.${id}`;
  for (const field of fields) {
    const at = error.message.indexOf(`${field}: `);
    let text = error.message;
    if (at >= 0) {
      const rest = error.message.slice(at + field.length + 2);
      const end = rest.search(/; components\.|\n/);
      text = end >= 0 ? rest.slice(0, end) : rest;
    }
    let key = '';
    if (field.startsWith(`${prefix}.`)) key = field.slice(prefix.length + 1).split('.')[0] ?? '';
    else if (field === prefix || field === `components.${id}` || field === 'id') key = 'id';
    out[key] = out[key] ? `${out[key]}; ${text}` : text;
  }
  if (fields.length === 0) out[''] = error.message;
  return out;
}
