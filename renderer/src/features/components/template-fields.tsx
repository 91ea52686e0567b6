import type { ComponentTemplate } from '../../../../shared/templates';
import type { ErrorShape } from '../../../../shared/types';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { Field } from '../../ui/Field';
import { fieldMessages } from './field-errors';

// Adding a component from a template (ComponentDialog.tsx): the choice of template, its fields, and
// the errors of its config put back next to the fields that filled them.

/** "Start from": a template, or Custom (every field). */
export function TemplateChooser({
  templates,
  templateId,
  template,
  onChoose,
}: {
  templates: ComponentTemplate[];
  templateId: string;
  template: ComponentTemplate | undefined;
  onChoose(id: string): void;
}) {
  return (
    <div className="form-wide">
      <Field
        label="Start from"
        hint={
          template ? template.description : 'Every field of the component config, for any check type and update method.'
        }
      >
        <select value={templateId} onChange={(e) => onChoose(e.target.value)}>
          <option value="custom">Custom (every field)</option>
          {templates.map((t) => (
            <option key={t.id} value={t.id}>
              {t.label}
            </option>
          ))}
        </select>
      </Field>
    </div>
  );
}

/** The template's own fields (and an optional id); `messages` by field key, '' for the rest. */
export function TemplateFields({
  template,
  id,
  values,
  error,
  messages,
  onId,
  onValue,
}: {
  template: ComponentTemplate;
  id: string;
  values: Record<string, string>;
  error: ErrorShape | null;
  messages: Record<string, string>;
  onId(id: string): void;
  onValue(key: string, value: string): void;
}) {
  return (
    <>
      {error && messages[''] ? (
        <div className="form-wide">
          <ErrorMessage error={{ ...error, message: messages[''] }} title="Not added" />
        </div>
      ) : null}
      <Field label="Id" error={messages.id} hint="Optional: made from the fields when left empty.">
        <input value={id} onChange={(e) => onId(e.target.value)} autoComplete="off" spellCheck={false} />
      </Field>
      {template.fields.map((f) => (
        <Field
          key={`${template.id}-${f.key}`}
          label={f.label}
          error={messages[f.key]}
          hint={f.help ?? (f.default !== undefined ? `Default: ${f.default}` : undefined)}
        >
          <input
            value={values[f.key] ?? ''}
            placeholder={f.example}
            onChange={(e) => onValue(f.key, e.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
      ))}
    </>
  );
}

/** Config keys back to the template fields that fill them, so messages sit next to what the user typed. */
export function templateMessages(t: ComponentTemplate, result: ErrorShape, newId: string): Record<string, string> {
  const byKey = fieldMessages(result, newId);
  const mapped: Record<string, string> = {};
  for (const [key, message] of Object.entries(byKey)) {
    const holder =
      key === 'id' ? 'id' : t.fields.find((f) => JSON.stringify(t.config[key] ?? '').includes(`{{${f.key}}}`))?.key;
    mapped[holder ?? ''] = mapped[holder ?? '']
      ? `${mapped[holder ?? '']}; ${key}: ${message}`
      : holder
        ? message
        : `${key}: ${message}`;
  }
  return mapped;
}
