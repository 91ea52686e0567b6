import type { Dispatch, RefObject, SetStateAction } from 'react';
import type { Component, Settings } from '../../../../shared/types';
import { useAppStore } from '../../store';
import type { AppState } from '../../store/types';
import { Field } from '../../ui/Field';

// Fieldsets of the settings dialog (SettingsDialog.tsx): checks and backups, hosts, GitHub; what a save changes.

type Messages = Record<string, string>;

type NumberKey = Exclude<{ [K in keyof Settings]: Settings[K] extends number ? K : never }[keyof Settings], undefined>;

export const NUMBER_FIELDS: { key: NumberKey; label: string; hint: string; step: number }[] = [
  {
    key: 'check_interval_hours',
    label: 'Check interval (hours)',
    hint: 'How often Upkeep looks for new versions in the background.',
    step: 0.25,
  },
  {
    key: 'cache_ttl_hours',
    label: 'Cache lifetime (hours)',
    hint: 'Answers from release servers are reused this long unless you force a check.',
    step: 1,
  },
  {
    key: 'min_free_space_mb',
    label: 'Minimum free space (MB)',
    hint: 'An update stops before it starts if less is free.',
    step: 1,
  },
  {
    key: 'backup_max_per_component',
    label: 'Backups kept per component',
    hint: 'Older ones are removed; pinned backups are always kept.',
    step: 1,
  },
  {
    key: 'backup_max_age_days',
    label: 'Delete backups older than (days)',
    hint: '0 keeps them regardless of age.',
    step: 1,
  },
  { key: 'backup_disk_budget_mb', label: 'Backup disk budget (MB)', hint: '0 means no limit.', step: 1 },
];

/** What the form changed of the settings: numbers, notifications, the time zone, the webhooks. */
export function settingsPatch(
  settings: Settings,
  edits: {
    numbers: Record<string, string>;
    notifications: boolean | null;
    timeZone: string | null;
    webhooks: Settings['webhooks'] | null;
  },
) {
  const { numbers, notifications, timeZone, webhooks } = edits;
  const patch: Record<string, number | boolean> = {};
  for (const f of NUMBER_FIELDS) {
    const raw = numbers[f.key];
    if (raw === undefined || raw === String(settings[f.key])) continue;
    patch[f.key] = Number(raw);
  }
  if (notifications !== null && notifications !== settings.notifications) patch.notifications = notifications;
  const extra: Partial<Settings> = {};
  if (timeZone !== null && timeZone.trim() !== settings.time_zone) extra.time_zone = timeZone.trim();
  if (webhooks !== null)
    extra.webhooks = webhooks.map((w) => ({
      ...w,
      url: w.url.trim(),
      ...(w.name?.trim() ? { name: w.name.trim() } : {}),
    }));
  return { ...patch, ...extra };
}

/** The release channels the form changed, by component id. */
export function changedChannels(
  channels: Record<string, string>,
  components: readonly Component[],
): Record<string, string> {
  const changed: Record<string, string> = {};
  for (const [id, channel] of Object.entries(channels)) {
    if (components.find((c) => c.id === id)?.channel !== channel) changed[id] = channel;
  }
  return changed;
}

/** How often checks run, how long answers are kept, the backups' limits, and notifications. */
export function ChecksFieldset({
  settings,
  numbers,
  setNumbers,
  notifications,
  setNotifications,
  messages,
}: {
  settings: Settings;
  numbers: Record<string, string>;
  setNumbers: Dispatch<SetStateAction<Record<string, string>>>;
  notifications: boolean | null;
  setNotifications(value: boolean): void;
  messages: Messages;
}) {
  return (
    <fieldset>
      <legend>Checks and backups</legend>
      <div className="form-grid">
        {NUMBER_FIELDS.map((f) => (
          <Field key={f.key} label={f.label} hint={f.hint} error={messages[f.key] ?? null}>
            <input
              type="number"
              inputMode="decimal"
              min={0}
              step={f.step}
              value={numbers[f.key] ?? String(settings[f.key])}
              onChange={(e) => setNumbers((v) => ({ ...v, [f.key]: e.target.value }))}
            />
          </Field>
        ))}
      </div>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={notifications ?? settings.notifications}
          onChange={(e) => setNotifications(e.target.checked)}
        />
        Notify me when updates are available or an update fails
      </label>
    </fieldset>
  );
}

/** Other machines this panel manages: a link to their dialog. */
export function HostsFieldset() {
  const openDialog = useAppStore((s) => s.openDialog);
  return (
    <fieldset>
      <legend>Hosts</legend>
      <p className="field-hint">Other machines this panel manages over ssh.</p>
      <div className="toolbar">
        <button type="button" className="button button-small" onClick={() => openDialog({ kind: 'hosts' })}>
          Manage hosts…
        </button>
      </div>
    </fieldset>
  );
}

/** The GitHub token: stored or not, replaced or removed; never shown. */
export function GithubFieldset({
  view,
  token,
  setToken,
  removeToken,
  setRemoveToken,
  tokenInput,
}: {
  view: NonNullable<AppState['settings']>;
  token: string;
  setToken(value: string): void;
  removeToken: boolean;
  setRemoveToken(value: boolean): void;
  tokenInput: RefObject<HTMLInputElement | null>;
}) {
  return (
    <fieldset>
      <legend>GitHub</legend>
      <Field
        label="GitHub token"
        hint={
          view.github_token_set
            ? 'A token is stored. It is never shown; type a new one to replace it.'
            : 'Optional: raises GitHub’s rate limit from 60 to 5,000 requests an hour.'
        }
      >
        <input
          ref={tokenInput}
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          placeholder={view.github_token_set ? '•••••••• stored' : 'ghp_…'}
          disabled={removeToken}
          onChange={(e) => setToken(e.target.value)}
        />
      </Field>
      {view.github_token_set ? (
        <label className="checkbox">
          <input type="checkbox" checked={removeToken} onChange={(e) => setRemoveToken(e.target.checked)} />
          Remove the stored token
        </label>
      ) : null}
      {view.secret_storage_warning ? (
        <p className="field-hint" role="note">
          {view.secret_storage_warning}
        </p>
      ) : null}
    </fieldset>
  );
}
