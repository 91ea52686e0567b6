import type { ComponentTemplate } from '../../../../shared/templates';
import { checkTypeDescriptor, updateMethodDescriptor } from '../../../../shared/descriptors/registry';
import type { FormField } from '../../../../shared/descriptors/types';
import type { ChannelOption, Component } from '../../../../shared/types';
import { channelsFromConfig } from '../../store/selectors/channel-options';
import { FORM_KEYS, type FormKey } from './component-fields';
import { CHECK_TYPES } from './kinds';

// The component dialog's form (ComponentDialog.tsx): its initial values, which fields show, its own checks.

/** Whether the form shows a field for the chosen type and method: always, or when their descriptors list it. */
export function fieldShown(key: FormKey, type: string, method: string): boolean {
  if (!isFormField(key)) return true;
  return Boolean(
    checkTypeDescriptor(type)?.fields.includes(key) || updateMethodDescriptor(method)?.fields.includes(key),
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFormField(key: string): key is FormField {
  return key === 'user' || key === 'repo' || key === 'package';
}

export function initialValues(component: Component | undefined): Record<FormKey, string> {
  const config: Readonly<Record<string, unknown>> = component?.config ?? {};
  const text = (key: FormKey) => {
    const value = config[key];
    return typeof value === 'string' ? value : '';
  };
  const values: Record<FormKey, string> = {
    name: text('name'),
    type: text('type'),
    method: text('method'),
    user: text('user'),
    repo: text('repo'),
    package: text('package'),
    folder: text('folder'),
    current: text('current'),
    api_base: text('api_base'),
  };
  if (!component) values.type = CHECK_TYPES[0] ?? '';
  return values;
}

export function extraConfig(component: Component | undefined): string {
  if (!component) return '';
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(component.config)) if (!FORM_KEYS.some((k) => k === key)) rest[key] = value;
  return Object.keys(rest).length ? JSON.stringify(rest, null, 2) : '';
}

/** A template's required fields left empty, each with its message. */
export function missingTemplateFields(t: ComponentTemplate, values: Record<string, string>): Record<string, string> {
  const local: Record<string, string> = {};
  for (const f of t.fields)
    if (!values[f.key]?.trim() && f.default === undefined) local[f.key] = `${f.label} is required.`;
  return local;
}

/** The form's own checks (an id; the other keys as a JSON object) and the config its fields make. */
export function formConfig(
  id: string,
  extra: string,
  values: Record<FormKey, string>,
  visible: (key: FormKey) => boolean,
): { local: Record<string, string>; config: Record<string, unknown> } {
  const local: Record<string, string> = {};
  if (!id.trim()) local.id = 'An id is required: 1-64 characters of a-z, 0-9, "_" or "-".';
  let more: Record<string, unknown> = {};
  if (extra.trim()) {
    try {
      const parsed: unknown = JSON.parse(extra);
      if (!isPlainObject(parsed)) throw new Error('not an object');
      more = parsed;
    } catch {
      local.extra = 'Must be a JSON object, e.g. {"release_compare": "semantic"}.';
    }
  }
  const config: Record<string, unknown> = { ...more };
  for (const key of FORM_KEYS) if (visible(key) && values[key].trim() !== '') config[key] = values[key].trim();
  return { local, config };
}

/** The channels an edited component can choose: those listed (or its config's), and the one it follows. */
export function channelOptionsFor(
  component: Component | undefined,
  listed: ChannelOption[] | undefined,
): ChannelOption[] {
  if (!component) return [];
  const options = [...(listed ?? channelsFromConfig(component))];
  if (!options.some((o) => o.id === component.channel))
    options.push({ id: component.channel, label: component.channel });
  return options;
}
