import { channelLabel } from '../../store/selectors/channel-options';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Settings } from '../../../../shared/types';
import { formatBytes, formatRelative } from '../../ui/format';
import { useAppStore } from '../../store';
import { selectChannelOptions } from '../../store/selectors/settings-selectors';
import { Dialog } from '../../ui/Dialog';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { Field } from '../../ui/Field';
import { useOffline } from '../../ui/use-offline';
import type { ErrorShape } from '../../../../shared/errors';
import { messagesUnder } from '../components/field-errors';

type NumberKey = Exclude<{ [K in keyof Settings]: Settings[K] extends number ? K : never }[keyof Settings], undefined>;

const NUMBER_FIELDS: { key: NumberKey; label: string; hint: string; step: number }[] = [
  { key: 'check_interval_hours', label: 'Check interval (hours)', hint: 'How often Upkeep looks for new versions in the background.', step: 0.25 },
  { key: 'cache_ttl_hours', label: 'Cache lifetime (hours)', hint: 'Answers from release servers are reused this long unless you force a check.', step: 1 },
  { key: 'min_free_space_mb', label: 'Minimum free space (MB)', hint: 'An update stops before it starts if less is free.', step: 1 },
  { key: 'backup_max_per_component', label: 'Backups kept per component', hint: 'Older ones are removed; pinned backups are always kept.', step: 1 },
  { key: 'backup_max_age_days', label: 'Delete backups older than (days)', hint: '0 keeps them regardless of age.', step: 1 },
  { key: 'backup_disk_budget_mb', label: 'Backup disk budget (MB)', hint: '0 means no limit.', step: 1 },
];

export function SettingsDialog({ onClose, focus }: { onClose(): void; focus?: 'github-token' | undefined }) {
  const view = useAppStore((s) => s.settings);
  const openDialog = useAppStore((s) => s.openDialog);
  const components = useAppStore((s) => s.components);
  const channelOptions = useAppStore(selectChannelOptions);
  const loadSettings = useAppStore((s) => s.loadSettings);
  const loadChannels = useAppStore((s) => s.loadChannels);
  const saveSettings = useAppStore((s) => s.saveSettings);
  const status = useAppStore((s) => s.status);
  const loadStatus = useAppStore((s) => s.loadStatus);
  const testWebhooks = useAppStore((s) => s.testWebhooks);
  const [timeZone, setTimeZone] = useState<string | null>(null);
  const [webhooks, setWebhooks] = useState<Settings['webhooks'] | null>(null);
  const [numbers, setNumbers] = useState<Record<string, string>>({});
  const [notifications, setNotifications] = useState<boolean | null>(null);
  const [token, setToken] = useState('');
  const [removeToken, setRemoveToken] = useState(false);
  const [channels, setChannels] = useState<Record<string, string>>({});
  const [channelFilter, setChannelFilter] = useState('');
  const [error, setError] = useState<ErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  const offline = useOffline();
  const tokenInput = useRef<HTMLInputElement>(null);
  const focusedToken = useRef(false);

  useEffect(() => {
    void loadSettings();
    void loadChannels();
    void loadStatus();
  }, [loadSettings, loadChannels, loadStatus]);

  const settings = view?.settings;

  // Opened from the rate-limit banner: straight to the token field, once it is on screen.
  useEffect(() => {
    if (focus !== 'github-token' || focusedToken.current || !settings || !tokenInput.current) return;
    focusedToken.current = true;
    tokenInput.current.scrollIntoView({ block: 'center' });
    tokenInput.current.focus();
  }, [focus, settings]);
  const editable = components.filter((c) => c.source.kind === 'settings');
  const q = channelFilter.trim().toLowerCase();
  const shownChannels = q ? editable.filter((c) => c.name.toLowerCase().includes(q) || c.id.includes(q)) : editable;
  const messages = messagesUnder(error, 'patch');

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!settings) return;
    const patch: Record<string, number | boolean> = {};
    for (const f of NUMBER_FIELDS) {
      const raw = numbers[f.key];
      if (raw === undefined || raw === String(settings[f.key])) continue;
      patch[f.key] = Number(raw);
    }
    if (notifications !== null && notifications !== settings.notifications) patch.notifications = notifications;
    const extra: Partial<Settings> = {};
    if (timeZone !== null && timeZone.trim() !== settings.time_zone) extra.time_zone = timeZone.trim();
    if (webhooks !== null) extra.webhooks = webhooks.map((w) => ({ ...w, url: w.url.trim(), ...(w.name?.trim() ? { name: w.name.trim() } : {}) }));
    const changed: Record<string, string> = {};
    for (const [id, channel] of Object.entries(channels)) {
      if (components.find((c) => c.id === id)?.channel !== channel) changed[id] = channel;
    }
    setBusy(true);
    const result = await saveSettings({
      patch: { ...patch, ...extra },
      githubToken: removeToken ? null : token.trim() ? token.trim() : undefined,
      channels: changed,
    });
    setBusy(false);
    if (result) setError(result);
    else onClose();
  }

  return (
    <Dialog
      title="Settings"
      onClose={onClose}
      size="large"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="settings-form" className="button button-primary" title={offline.title} disabled={offline.disabled || busy || !settings}>
            Save
          </button>
        </>
      }
    >
      {!settings ? (
        <p className="muted">Loading settings…</p>
      ) : (
        <form id="settings-form" className="settings-form" onSubmit={submit} noValidate>
          {error && Object.keys(messages).every((k) => k === '' || !NUMBER_FIELDS.some((f) => f.key === k)) ? <ErrorMessage title="Settings not saved" error={error} /> : null}
          {error && Object.keys(messages).some((k) => NUMBER_FIELDS.some((f) => f.key === k)) ? (
            <p className="form-summary" role="alert">
              Not saved: fix the fields marked below. <code>{error.code}</code>
            </p>
          ) : null}
          <fieldset>
            <legend>Release channels</legend>
            {editable.length === 0 ? <p className="muted">Add a component to choose its release channel.</p> : null}
            {editable.length > 12 ? (
              <Field label="Find a component">
                <input type="search" value={channelFilter} onChange={(e) => setChannelFilter(e.target.value)} placeholder="Name or id" autoComplete="off" />
              </Field>
            ) : null}
            <div className="form-grid">
              {shownChannels.slice(0, 200).map((c) => {
                const options = channelOptions[c.id] ?? [{ id: c.channel, label: c.channel }];
                return (
                  <Field key={c.id} label={`Release channel for ${c.name}`}>
                    <select value={channels[c.id] ?? c.channel} onFocus={() => void loadChannels([c.id])} onChange={(e) => setChannels((v) => ({ ...v, [c.id]: e.target.value }))}>
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
            {shownChannels.length > 200 ? <p className="muted small">{shownChannels.length - 200} more: narrow them down with “Find a component”.</p> : null}
          </fieldset>
          <fieldset>
            <legend>Checks and backups</legend>
            <div className="form-grid">
              {NUMBER_FIELDS.map((f) => (
                <Field key={f.key} label={f.label} hint={f.hint} error={messages[f.key] ?? null}>
                  <input type="number" inputMode="decimal" min={0} step={f.step} value={numbers[f.key] ?? String(settings[f.key])} onChange={(e) => setNumbers((v) => ({ ...v, [f.key]: e.target.value }))} />
                </Field>
              ))}
            </div>
            <label className="checkbox">
              <input type="checkbox" checked={notifications ?? settings.notifications} onChange={(e) => setNotifications(e.target.checked)} />
              Notify me when updates are available or an update fails
            </label>
          </fieldset>
          <fieldset>
            <legend>Maintenance windows</legend>
            <Field label="Time zone" error={messages.time_zone ?? null} hint={`Windows are read in this zone; empty uses this machine's (${Intl.DateTimeFormat().resolvedOptions().timeZone}).`}>
              <input value={timeZone ?? settings.time_zone} onChange={(e) => setTimeZone(e.target.value)} placeholder="Europe/Berlin" spellCheck={false} autoComplete="off" />
            </Field>
          </fieldset>
          <fieldset>
            <legend>Webhooks</legend>
            {(webhooks ?? settings.webhooks).length === 0 ? <p className="muted">No webhooks: updates are announced on this computer only.</p> : null}
            {(webhooks ?? settings.webhooks).map((w, i) => {
              const edit = (patch: Partial<Settings['webhooks'][number]>) =>
                setWebhooks((list) => (list ?? settings.webhooks).map((x, j) => (j === i ? { ...x, ...patch } : x)));
              return (
                <div key={i} className="webhook-row">
                  <Field label={`Webhook ${i + 1} URL`}>
                    <input value={w.url} onChange={(e) => edit({ url: e.target.value })} placeholder="https://discord.com/api/webhooks/…" spellCheck={false} autoComplete="off" inputMode="url" />
                  </Field>
                  <Field label={`Webhook ${i + 1} format`}>
                    <select value={w.format} onChange={(e) => edit({ format: e.target.value as Settings['webhooks'][number]['format'] })}>
                      <option value="json">JSON</option>
                      <option value="discord">Discord</option>
                      <option value="slack">Slack</option>
                    </select>
                  </Field>
                  <Field label={`Webhook ${i + 1} name`}>
                    <input value={w.name ?? ''} onChange={(e) => edit({ name: e.target.value })} autoComplete="off" />
                  </Field>
                  <button type="button" className="button button-small webhook-remove" onClick={() => setWebhooks((list) => (list ?? settings.webhooks).filter((_, j) => j !== i))}>
                    Remove webhook {i + 1}
                  </button>
                </div>
              );
            })}
            {messages.webhooks ? <p className="field-error">{messages.webhooks}</p> : null}
            <div className="toolbar">
              <button type="button" className="button button-small" onClick={() => setWebhooks((list) => [...(list ?? settings.webhooks), { url: '', format: 'json' }])}>
                Add webhook
              </button>
              <button type="button" className="button button-small" onClick={() => void testWebhooks()} disabled={settings.webhooks.length === 0}>
                Send a test
              </button>
            </div>
          </fieldset>
          <fieldset>
            <legend>Hosts</legend>
            <p className="field-hint">Other machines this panel manages over ssh.</p>
            <div className="toolbar">
              <button type="button" className="button button-small" onClick={() => openDialog({ kind: 'hosts' })}>
                Manage hosts…
              </button>
            </div>
          </fieldset>
          <fieldset>
            <legend>GitHub</legend>
            <Field
              label="GitHub token"
              hint={view.github_token_set ? 'A token is stored. It is never shown; type a new one to replace it.' : 'Optional: raises GitHub’s rate limit from 60 to 5,000 requests an hour.'}
            >
              <input ref={tokenInput} type="password" autoComplete="off" spellCheck={false} value={token} placeholder={view.github_token_set ? '•••••••• stored' : 'ghp_…'} disabled={removeToken} onChange={(e) => setToken(e.target.value)} />
            </Field>
            {view.github_token_set ? (
              <label className="checkbox">
                <input type="checkbox" checked={removeToken} onChange={(e) => setRemoveToken(e.target.checked)} />
                Remove the stored token
              </label>
            ) : null}
            {view.secret_storage_warning ? <p className="field-hint" role="note">{view.secret_storage_warning}</p> : null}
          </fieldset>
          {status ? (
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
                  <dd>{status.github_rate_limit ? `${status.github_rate_limit.remaining.toLocaleString()} requests left` : 'Not used yet'}</dd>
                </div>
                <div>
                  <dt>Next background check</dt>
                  <dd>{status.scheduler.next_check_at ? formatRelative(status.scheduler.next_check_at) : 'Not scheduled'}</dd>
                </div>
              </dl>
            </fieldset>
          ) : null}
        </form>
      )}
    </Dialog>
  );
}
