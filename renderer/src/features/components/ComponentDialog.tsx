import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { fillTemplate, type ComponentTemplate } from '../../../../shared/templates';
import { checkTypeDescriptor, updateMethodDescriptor } from '../../../../shared/descriptors/registry';
import type { FormField } from '../../../../shared/descriptors/types';
import { CHECK_TYPES, UPDATE_METHODS } from './kinds';
import type { Component, ErrorShape } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { Dialog } from '../../ui/Dialog';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { Field } from '../../ui/Field';
import { useOffline } from '../../ui/use-offline';
import { channelLabel, channelsFromConfig } from '../../store/selectors/channel-options';
import { fieldMessages } from './field-errors';

const FORM_KEYS = ['name', 'type', 'method', 'user', 'repo', 'package', 'folder', 'current', 'api_base'] as const;
type FormKey = (typeof FORM_KEYS)[number];

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
    // Config keys back to the template fields that fill them, so messages sit next to what the user typed.
    const byKey = fieldMessages(result, newId);
    const mapped: Record<string, string> = {};
    for (const [key, message] of Object.entries(byKey)) {
      const holder = key === 'id' ? 'id' : t.fields.find((f) => JSON.stringify(t.config[key] ?? '').includes(`{{${f.key}}}`))?.key;
      mapped[holder ?? ''] = mapped[holder ?? ''] ? `${mapped[holder ?? '']}; ${key}: ${message}` : holder ? message : `${key}: ${message}`;
    }
    setError(result);
    setLocalErrors(mapped);
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
          <div className="form-wide">
            <Field label="Start from" hint={template ? template.description : 'Every field of the component config, for any check type and update method.'}>
              <select
                value={templateId}
                onChange={(e) => {
                  setTemplateId(e.target.value);
                  setError(null);
                  setLocalErrors({});
                }}
              >
                <option value="custom">Custom (every field)</option>
                {templates.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.label}
                  </option>
                ))}
              </select>
            </Field>
          </div>
        ) : null}
        {template ? (
          <>
            {error && messages[''] ? (
              <div className="form-wide">
                <ErrorMessage error={{ ...error, message: messages[''] }} title="Not added" />
              </div>
            ) : null}
            <Field label="Id" error={messages.id} hint="Optional: made from the fields when left empty.">
              <input value={id} onChange={(e) => setId(e.target.value)} autoComplete="off" spellCheck={false} />
            </Field>
            {template.fields.map((f) => (
              <Field key={`${template.id}-${f.key}`} label={f.label} error={messages[f.key]} hint={f.help ?? (f.default !== undefined ? `Default: ${f.default}` : undefined)}>
                <input
                  value={templateValues[f.key] ?? ''}
                  placeholder={f.example}
                  onChange={(e) => setTemplateValues((v) => ({ ...v, [f.key]: e.target.value }))}
                  autoComplete="off"
                  spellCheck={false}
                />
              </Field>
            ))}
          </>
        ) : (
          <>
        {error && (messages[''] || unplaced.length > 0) ? (
          <div className="form-wide">
            <ErrorMessage error={error} title={editing ? 'Not saved' : 'Not added'} />
          </div>
        ) : null}
        {error && !messages[''] && unplaced.length === 0 ? (
          <p className="form-summary form-wide" role="alert">
            Not {editing ? 'saved' : 'added'}: fix the fields marked below. <code>{error.code}</code>
          </p>
        ) : null}
        <Field label="Id" error={messages.id} hint={editing ? 'The id cannot change.' : 'Lowercase letters, digits, "-" and "_"; used on the command line.'}>
          <input value={id} onChange={(e) => setId(e.target.value)} readOnly={editing} autoComplete="off" spellCheck={false} />
        </Field>
        <Field label="Name" error={messages.name}>
          <input value={values.name} onChange={set('name')} autoComplete="off" />
        </Field>
        <Field label="Check type" error={messages.type}>
          <select value={values.type} onChange={set('type')}>
            {CHECK_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Update method" error={messages.method}>
          <select value={values.method} onChange={set('method')}>
            <option value="">None (check only)</option>
            {UPDATE_METHODS.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </Field>
        {editing ? (
          <Field label={`Release channel for ${component.name}`} error={messages.channel} hint="Which releases are offered: stable, a prerelease branch, an npm dist-tag …">
            <select value={channel} onChange={(e) => setChannel(e.target.value)}>
              {channelOptions.map((o) => (
                <option key={o.id} value={o.id}>
                  {channelLabel(o)}
                </option>
              ))}
            </select>
          </Field>
        ) : null}
        {visible('user') ? (
          <Field label="Repository owner" error={messages.user}>
            <input value={values.user} onChange={set('user')} autoComplete="off" spellCheck={false} />
          </Field>
        ) : null}
        {visible('repo') ? (
          <Field label="Repository" error={messages.repo}>
            <input value={values.repo} onChange={set('repo')} autoComplete="off" spellCheck={false} />
          </Field>
        ) : null}
        {visible('package') ? (
          <Field label="Package" error={messages.package}>
            <input value={values.package} onChange={set('package')} autoComplete="off" spellCheck={false} />
          </Field>
        ) : null}
        <Field label="Folder" error={messages.folder} hint="Where the component lives on disk.">
          <input value={values.folder} onChange={set('folder')} autoComplete="off" spellCheck={false} />
        </Field>
        <Field label="Installed version (static)" error={messages.current} hint="Only when the version cannot be read from the component itself.">
          <input value={values.current} onChange={set('current')} autoComplete="off" spellCheck={false} />
        </Field>
        <Field label="API base URL" error={messages.api_base} hint="GitHub Enterprise, Gitea, a mirror, or an Open WebUI server.">
          <input value={values.api_base} onChange={set('api_base')} autoComplete="off" spellCheck={false} inputMode="url" />
        </Field>
        <div className="form-wide">
          <Field label="More settings (JSON)" error={messages.extra ?? (unplaced.length ? unplaced.map(([k, m]) => `${k}: ${m}`).join('; ') : null)} hint="Any other key from the component config: version_from, health, backup, preserve, install …">
            <textarea value={extra} onChange={(e) => setExtra(e.target.value)} rows={6} spellCheck={false} className="mono" />
          </Field>
        </div>
          </>
        )}
      </form>
    </Dialog>
  );
}
