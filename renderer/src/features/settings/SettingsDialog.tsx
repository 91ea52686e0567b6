import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Settings } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { Dialog } from '../../ui/Dialog';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { Field } from '../../ui/Field';
import { useOffline } from '../../ui/use-offline';
import type { ErrorShape } from '../../../../shared/errors';
import { messagesUnder } from '../components/field-errors';
import {
  changedChannels,
  ChecksFieldset,
  GithubFieldset,
  HostsFieldset,
  NUMBER_FIELDS,
  settingsPatch,
} from './settings-fieldsets';
import { MachineFacts, ReleaseChannelsFieldset, WebhooksFieldset } from './settings-sections';

export function SettingsDialog({ onClose, focus }: { onClose(): void; focus?: 'github-token' | undefined }) {
  const view = useAppStore((s) => s.settings);
  const components = useAppStore((s) => s.components);
  const loadSettings = useAppStore((s) => s.loadSettings);
  const loadChannels = useAppStore((s) => s.loadChannels);
  const saveSettings = useAppStore((s) => s.saveSettings);
  const loadStatus = useAppStore((s) => s.loadStatus);
  const [timeZone, setTimeZone] = useState<string | null>(null);
  const [webhooks, setWebhooks] = useState<Settings['webhooks'] | null>(null);
  const [numbers, setNumbers] = useState<Record<string, string>>({});
  const [notifications, setNotifications] = useState<boolean | null>(null);
  const [token, setToken] = useState('');
  const [removeToken, setRemoveToken] = useState(false);
  const [channels, setChannels] = useState<Record<string, string>>({});
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
  const messages = messagesUnder(error, 'patch');

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!settings) return;
    setBusy(true);
    const result = await saveSettings({
      patch: settingsPatch(settings, { numbers, notifications, timeZone, webhooks }),
      githubToken: removeToken ? null : token.trim() ? token.trim() : undefined,
      channels: changedChannels(channels, components),
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
          <button
            type="submit"
            form="settings-form"
            className="button button-primary"
            title={offline.title}
            disabled={offline.disabled || busy || !settings}
          >
            Save
          </button>
        </>
      }
    >
      {!settings ? (
        <p className="muted">Loading settings…</p>
      ) : (
        <form id="settings-form" className="settings-form" onSubmit={submit} noValidate>
          {error && Object.keys(messages).every((k) => k === '' || !NUMBER_FIELDS.some((f) => f.key === k)) ? (
            <ErrorMessage title="Settings not saved" error={error} />
          ) : null}
          {error && Object.keys(messages).some((k) => NUMBER_FIELDS.some((f) => f.key === k)) ? (
            <p className="form-summary" role="alert">
              Not saved: fix the fields marked below. <code>{error.code}</code>
            </p>
          ) : null}
          <ReleaseChannelsFieldset channels={channels} setChannels={setChannels} />
          <ChecksFieldset
            settings={settings}
            numbers={numbers}
            setNumbers={setNumbers}
            notifications={notifications}
            setNotifications={setNotifications}
            messages={messages}
          />
          <fieldset>
            <legend>Maintenance windows</legend>
            <Field
              label="Time zone"
              error={messages.time_zone ?? null}
              hint={`Windows are read in this zone; empty uses this machine's (${Intl.DateTimeFormat().resolvedOptions().timeZone}).`}
            >
              <input
                value={timeZone ?? settings.time_zone}
                onChange={(e) => setTimeZone(e.target.value)}
                placeholder="Europe/Berlin"
                spellCheck={false}
                autoComplete="off"
              />
            </Field>
          </fieldset>
          <WebhooksFieldset
            saved={settings.webhooks}
            webhooks={webhooks}
            setWebhooks={setWebhooks}
            error={messages.webhooks ?? null}
          />
          <HostsFieldset />
          <GithubFieldset
            view={view}
            token={token}
            setToken={setToken}
            removeToken={removeToken}
            setRemoveToken={setRemoveToken}
            tokenInput={tokenInput}
          />
          <MachineFacts />
        </form>
      )}
    </Dialog>
  );
}
