import { useState, type Dispatch, type SetStateAction } from 'react';
import type { Settings } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { channelLabel } from '../../store/selectors/channel-options';
import { selectChannelOptions } from '../../store/selectors/settings-selectors';
import { formatBytes, formatRelative } from '../../ui/format';
import { Field } from '../../ui/Field';
import { isOneOf } from '../../../../shared/guards';

const WEBHOOK_FORMATS = [
  'json',
  'discord',
  'slack',
] as const satisfies readonly Settings['webhooks'][number]['format'][];

// Sections of the Settings dialog (SettingsDialog.tsx) that keep their own state or read the store.

/** A release channel per component from the settings store; `channels` holds the choices not saved yet. */
export function ReleaseChannelsFieldset({
  channels,
  setChannels,
}: {
  channels: Record<string, string>;
  setChannels: Dispatch<SetStateAction<Record<string, string>>>;
}) {
  const components = useAppStore((s) => s.components);
  const channelOptions = useAppStore(selectChannelOptions);
  const loadChannels = useAppStore((s) => s.loadChannels);
  const [channelFilter, setChannelFilter] = useState('');
  const editable = components.filter((c) => c.source.kind === 'settings');
  const q = channelFilter.trim().toLowerCase();
  const shownChannels = q ? editable.filter((c) => c.name.toLowerCase().includes(q) || c.id.includes(q)) : editable;
  return (
    <fieldset>
      <legend>Release channels</legend>
      {editable.length === 0 ? <p className="muted">Add a component to choose its release channel.</p> : null}
      {editable.length > 12 ? (
        <Field label="Find a component">
          <input
            type="search"
            value={channelFilter}
            onChange={(e) => setChannelFilter(e.target.value)}
            placeholder="Name or id"
            autoComplete="off"
          />
        </Field>
      ) : null}
      <div className="form-grid">
        {shownChannels.slice(0, 200).map((c) => {
          const options = channelOptions[c.id] ?? [{ id: c.channel, label: c.channel }];
          return (
            <Field key={c.id} label={`Release channel for ${c.name}`}>
              <select
                value={channels[c.id] ?? c.channel}
                onFocus={() => void loadChannels([c.id])}
                onChange={(e) => setChannels((v) => ({ ...v, [c.id]: e.target.value }))}
              >
                {options.map((o) => (
                  <option key={o.id} value={o.id}>
                    {channelLabel(o)}
                  </option>
                ))}
              </select>
            </Field>
          );
        })}
      </div>
      {shownChannels.length > 200 ? (
        <p className="muted small">{shownChannels.length - 200} more: narrow them down with “Find a component”.</p>
      ) : null}
    </fieldset>
  );
}

type Webhooks = Settings['webhooks'];

/** The webhooks as saved (`saved`) or as being edited (`webhooks`, null until the first edit). */
export function WebhooksFieldset({
  saved,
  webhooks,
  setWebhooks,
  error,
}: {
  saved: Webhooks;
  webhooks: Webhooks | null;
  setWebhooks: Dispatch<SetStateAction<Webhooks | null>>;
  error: string | null;
}) {
  const testWebhooks = useAppStore((s) => s.testWebhooks);
  return (
    <fieldset>
      <legend>Webhooks</legend>
      {(webhooks ?? saved).length === 0 ? (
        <p className="muted">No webhooks: updates are announced on this computer only.</p>
      ) : null}
      {(webhooks ?? saved).map((w, i) => {
        const edit = (patch: Partial<Settings['webhooks'][number]>) =>
          setWebhooks((list) => (list ?? saved).map((x, j) => (j === i ? { ...x, ...patch } : x)));
        return (
          <div key={i} className="webhook-row">
            <Field label={`Webhook ${i + 1} URL`}>
              <input
                value={w.url}
                onChange={(e) => edit({ url: e.target.value })}
                placeholder="https://discord.com/api/webhooks/…"
                spellCheck={false}
                autoComplete="off"
                inputMode="url"
              />
            </Field>
            <Field label={`Webhook ${i + 1} format`}>
              <select
                value={w.format}
                onChange={(e) =>
                  isOneOf(e.target.value, WEBHOOK_FORMATS) ? edit({ format: e.target.value }) : undefined
                }
              >
                <option value="json">JSON</option>
                <option value="discord">Discord</option>
                <option value="slack">Slack</option>
              </select>
            </Field>
            <Field label={`Webhook ${i + 1} name`}>
              <input value={w.name ?? ''} onChange={(e) => edit({ name: e.target.value })} autoComplete="off" />
            </Field>
            <button
              type="button"
              className="button button-small webhook-remove"
              onClick={() => setWebhooks((list) => (list ?? saved).filter((_, j) => j !== i))}
            >
              Remove webhook {i + 1}
            </button>
          </div>
        );
      })}
      {error ? <p className="field-error">{error}</p> : null}
      <div className="toolbar">
        <button
          type="button"
          className="button button-small"
          onClick={() => setWebhooks((list) => [...(list ?? saved), { url: '', format: 'json' }])}
        >
          Add webhook
        </button>
        <button
          type="button"
          className="button button-small"
          onClick={() => void testWebhooks()}
          disabled={saved.length === 0}
        >
          Send a test
        </button>
      </div>
    </fieldset>
  );
}

/** Facts about the machine Upkeep runs on, from the status view; nothing until it has loaded. */
export function MachineFacts() {
  const status = useAppStore((s) => s.status);
  if (!status) return null;
  return (
    <fieldset>
      <legend>This machine</legend>
      <dl className="facts">
        {status.disk ? (
          <div>
            <dt>Free disk space</dt>
            <dd>
              {formatBytes(status.disk.free_bytes)} of {formatBytes(status.disk.total_bytes)}
            </dd>
          </div>
        ) : null}
        <div>
          <dt>Backups</dt>
          <dd>
            {formatBytes(status.backups.bytes)} in {status.backups.files} files
          </dd>
        </div>
        <div>
          <dt>GitHub API</dt>
          <dd>
            {status.github_rate_limit
              ? `${status.github_rate_limit.remaining.toLocaleString()} requests left`
              : 'Not used yet'}
          </dd>
        </div>
        <div>
          <dt>Next background check</dt>
          <dd>{status.scheduler.next_check_at ? formatRelative(status.scheduler.next_check_at) : 'Not scheduled'}</dd>
        </div>
      </dl>
    </fieldset>
  );
}
