import type { ChannelOption, Component, ErrorShape } from '../../../../shared/types';
import { channelLabel } from '../../store/selectors/channel-options';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { Field } from '../../ui/Field';
import { CHECK_TYPES, UPDATE_METHODS } from './kinds';

// The fields of a component's config as the Custom form shows them (ComponentDialog.tsx).

export const FORM_KEYS = [
  'name',
  'type',
  'method',
  'user',
  'repo',
  'package',
  'folder',
  'current',
  'api_base',
] as const;
export type FormKey = (typeof FORM_KEYS)[number];

/** Every field of the Custom form; `component` when editing (the id is fixed and the channel shown). */
export function ComponentFields({
  component,
  id,
  onId,
  values,
  set,
  visible,
  error,
  messages,
  unplaced,
  channel,
  onChannel,
  channelOptions,
  extra,
  onExtra,
}: {
  component: Component | undefined;
  id: string;
  onId(id: string): void;
  values: Record<FormKey, string>;
  set(key: FormKey): (e: { target: { value: string } }) => void;
  visible(key: FormKey): boolean;
  error: ErrorShape | null;
  messages: Record<string, string>;
  unplaced: [string, string][];
  channel: string;
  onChannel(channel: string): void;
  channelOptions: ChannelOption[];
  extra: string;
  onExtra(extra: string): void;
}) {
  const editing = component !== undefined;
  return (
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
      <Field
        label="Id"
        error={messages.id}
        hint={editing ? 'The id cannot change.' : 'Lowercase letters, digits, "-" and "_"; used on the command line.'}
      >
        <input
          value={id}
          onChange={(e) => onId(e.target.value)}
          readOnly={editing}
          autoComplete="off"
          spellCheck={false}
        />
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
      {component ? (
        <Field
          label={`Release channel for ${component.name}`}
          error={messages.channel}
          hint="Which releases are offered: stable, a prerelease branch, an npm dist-tag …"
        >
          <select value={channel} onChange={(e) => onChannel(e.target.value)}>
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
      <Field
        label="Installed version (static)"
        error={messages.current}
        hint="Only when the version cannot be read from the component itself."
      >
        <input value={values.current} onChange={set('current')} autoComplete="off" spellCheck={false} />
      </Field>
      <Field
        label="API base URL"
        error={messages.api_base}
        hint="GitHub Enterprise, Gitea, a mirror, or an Open WebUI server."
      >
        <input
          value={values.api_base}
          onChange={set('api_base')}
          autoComplete="off"
          spellCheck={false}
          inputMode="url"
        />
      </Field>
      <div className="form-wide">
        <Field
          label="More settings (JSON)"
          error={messages.extra ?? (unplaced.length ? unplaced.map(([k, m]) => `${k}: ${m}`).join('; ') : null)}
          hint="Any other key from the component config: version_from, health, backup, preserve, install …"
        >
          <textarea
            value={extra}
            onChange={(e) => onExtra(e.target.value)}
            rows={6}
            spellCheck={false}
            className="mono"
          />
        </Field>
      </div>
    </>
  );
}
