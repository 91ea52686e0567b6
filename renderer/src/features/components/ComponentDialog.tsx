import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { fillTemplate, type ComponentTemplate } from '../../../../shared/templates';
import { ComponentFields, FORM_KEYS, type FormKey } from './component-fields';
import { checkTypeDescriptor, updateMethodDescriptor } from '../../../../shared/descriptors/registry';
import type { FormField } from '../../../../shared/descriptors/types';
import { CHECK_TYPES } from './kinds';
import type { Component, ErrorShape } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { Dialog } from '../../ui/Dialog';
import { useOffline } from '../../ui/use-offline';
import { channelsFromConfig } from '../../store/selectors/channel-options';
import { fieldMessages } from './field-errors';
import { TemplateChooser, TemplateFields, templateMessages } from './template-fields';


/** Whether the form shows a field for the chosen type and method: always, or when their descriptors list it. */
function fieldShown(key: FormKey, type: string, method: string): boolean {
  if (!isFormField(key)) return true;
  return Boolean(checkTypeDescriptor(type)?.fields.includes(key) || updateMethodDescriptor(method)?.fields.includes(key));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFormField(key: string): key is FormField {
  return key === 'user' || key === 'repo' || key === 'package';
}

function initialValues(component: Component | undefined): Record<FormKey, string> {
  const config: Readonly<Record<string, unknown>> = component?.config ?? {};
  const text = (key: FormKey) => {
    const value = config[key];
    return typeof value === 'string' ? value : '';
  };
  const values: Record<FormKey, string> = { name: text('name'), type: text('type'), method: text('method'), user: text('user'), repo: text('repo'), package: text('package'), folder: text('folder'), current: text('current'), api_base: text('api_base') };
  if (!component) values.type = CHECK_TYPES[0] ?? '';
  return values;
}

function extraConfig(component: Component | undefined): string {
  if (!component) return '';
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(component.config)) if (!FORM_KEYS.some((k) => k === key)) rest[key] = value;
  return Object.keys(rest).length ? JSON.stringify(rest, null, 2) : '';
}

/** Add or edit a component: the common keys as fields, everything else as JSON; errors sit next to their field. */
export function ComponentDialog({ component, onClose }: { component?: Component; onClose(): void }) {
  const addComponent = useAppStore((s) => s.addComponent);
  const editComponent = useAppStore((s) => s.editComponent);
  const [id, setId] = useState(component?.id ?? '');
  const [values, setValues] = useState(() => initialValues(component));
  const [extra, setExtra] = useState(() => extraConfig(component));
  const [error, setError] = useState<ErrorShape | null>(null);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const offline = useOffline();
  const editing = component !== undefined;
  const templates = useAppStore((s) => s.templates);
  const loadTemplates = useAppStore((s) => s.loadTemplates);
  const [templateId, setTemplateId] = useState('custom');
  const [templateValues, setTemplateValues] = useState<Record<string, string>>({});
  const template = templates.find((t) => t.id === templateId);
  const listed = useAppStore((s) => (component ? s.channels[component.id] : undefined));
  const loadChannels = useAppStore((s) => s.loadChannels);
  const setComponentChannel = useAppStore((s) => s.setComponentChannel);
  const [channel, setChannel] = useState(component?.channel ?? '');
  const channelOptions = useMemo(() => {
    if (!component) return [];
    const options = [...(listed ?? channelsFromConfig(component))];
    if (!options.some((o) => o.id === component.channel)) options.push({ id: component.channel, label: component.channel });
    return options;
  }, [component, listed]);

  useEffect(() => {
    if (!editing) void loadTemplates();
    else void loadChannels([component.id]);
  }, [editing, loadTemplates, loadChannels, component]);

  const messages = useMemo(() => (templateId !== 'custom' ? localErrors : { ...fieldMessages(error, id.trim()), ...localErrors }), [error, id, localErrors, templateId]);
  const shown = new Set(['id', 'extra', ...FORM_KEYS.filter((k) => visible(k))]);
  const unplaced = Object.entries(messages).filter(([key]) => !shown.has(key) && key !== '');
  const set = (key: FormKey) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [key]: e.target.value }));

  function visible(key: FormKey): boolean {
    return fieldShown(key, values.type, values.method);
  }

  async function submitTemplate(t: ComponentTemplate) {
    const local: Record<string, string> = {};
    for (const f of t.fields) if (!templateValues[f.key]?.trim() && f.default === undefined) local[f.key] = `${f.label} is required.`;
    setLocalErrors(local);
    setError(null);
    if (Object.keys(local).length) return;
    const filled = fillTemplate(t, templateValues);
    const newId = id.trim() || filled.id;
    setBusy(true);
    const result = await addComponent(newId, filled.config);
    setBusy(false);
    if (!result) return onClose();
    setError(result);
    setLocalErrors(templateMessages(t, result, newId));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (template) return submitTemplate(template);
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
    setLocalErrors(local);
    setError(null);
    if (Object.keys(local).length) return;
    const config: Record<string, unknown> = { ...more };
    for (const key of FORM_KEYS) if (visible(key) && values[key].trim() !== '') config[key] = values[key].trim();
    setBusy(true);
    let result = editing ? await editComponent(component.id, config) : await addComponent(id.trim(), config);
    // The channel is the component's choice apart from its config: set after the config is saved.
    if (!result && editing && channel && channel !== component.channel) result = await setComponentChannel(component.id, channel);
    setBusy(false);
    if (result) setError(result);
    else onClose();
  }

  const formId = editing ? 'edit-component-form' : 'add-component-form';
  return (
    <Dialog
      title={editing ? `Edit ${component.name}` : 'Add component'}
      onClose={onClose}
      size="large"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button button-primary" title={offline.title} disabled={offline.disabled || busy}>
            {editing ? 'Save' : 'Add component'}
          </button>
        </>
      }
    >
      <form id={formId} className="form-grid" onSubmit={submit} noValidate>
        {!editing && templates.length > 0 ? (
          <TemplateChooser
            templates={templates}
            templateId={templateId}
            template={template}
            onChoose={(value) => {
              setTemplateId(value);
              setError(null);
              setLocalErrors({});
            }}
          />
        ) : null}
        {template ? (
          <TemplateFields template={template} id={id} values={templateValues} error={error} messages={messages} onId={setId} onValue={(key, value) => setTemplateValues((v) => ({ ...v, [key]: value }))} />
        ) : (
          <ComponentFields
            component={component}
            id={id}
            onId={setId}
            values={values}
            set={set}
            visible={visible}
            error={error}
            messages={messages}
            unplaced={unplaced}
            channel={channel}
            onChannel={setChannel}
            channelOptions={channelOptions}
            extra={extra}
            onExtra={setExtra}
          />
        )}
      </form>
    </Dialog>
  );
}
