import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { fillTemplate, type ComponentTemplate } from '../../../../shared/templates';
import { ComponentFields, FORM_KEYS, type FormKey } from './component-fields';
import {
  channelOptionsFor,
  extraConfig,
  fieldShown,
  formConfig,
  initialValues,
  missingTemplateFields,
} from './component-form';
import type { Component, ErrorShape } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { Dialog } from '../../ui/Dialog';
import { useOffline } from '../../ui/use-offline';
import { fieldMessages } from './field-errors';
import { TemplateChooser, TemplateFields, templateMessages } from './template-fields';

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
  const channelOptions = useMemo(() => channelOptionsFor(component, listed), [component, listed]);

  useEffect(() => {
    if (!editing) void loadTemplates();
    else void loadChannels([component.id]);
  }, [editing, loadTemplates, loadChannels, component]);

  const messages = useMemo(
    () => (templateId !== 'custom' ? localErrors : { ...fieldMessages(error, id.trim()), ...localErrors }),
    [error, id, localErrors, templateId],
  );
  const shown = new Set(['id', 'extra', ...FORM_KEYS.filter((k) => visible(k))]);
  const unplaced = Object.entries(messages).filter(([key]) => !shown.has(key) && key !== '');
  const set = (key: FormKey) => (e: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [key]: e.target.value }));

  function visible(key: FormKey): boolean {
    return fieldShown(key, values.type, values.method);
  }

  async function submitTemplate(t: ComponentTemplate) {
    const local = missingTemplateFields(t, templateValues);
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
    const { local, config } = formConfig(id, extra, values, visible);
    setLocalErrors(local);
    setError(null);
    if (Object.keys(local).length) return;
    setBusy(true);
    let result = editing ? await editComponent(component.id, config) : await addComponent(id.trim(), config);
    // The channel is the component's choice apart from its config: set after the config is saved.
    if (!result && editing && channel && channel !== component.channel)
      result = await setComponentChannel(component.id, channel);
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
      footer={<FormButtons formId={formId} label={editing ? 'Save' : 'Add component'} busy={busy} onClose={onClose} />}
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
          <TemplateFields
            template={template}
            id={id}
            values={templateValues}
            error={error}
            messages={messages}
            onId={setId}
            onValue={(key, value) => setTemplateValues((v) => ({ ...v, [key]: value }))}
          />
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

/** Cancel, and the form's submit button (disabled while it saves or the host is offline). */
function FormButtons({
  formId,
  label,
  busy,
  onClose,
}: {
  formId: string;
  label: string;
  busy: boolean;
  onClose(): void;
}) {
  const offline = useOffline();
  return (
    <>
      <button type="button" className="button" onClick={onClose}>
        Cancel
      </button>
      <button
        type="submit"
        form={formId}
        className="button button-primary"
        title={offline.title}
        disabled={offline.disabled || busy}
      >
        {label}
      </button>
    </>
  );
}
