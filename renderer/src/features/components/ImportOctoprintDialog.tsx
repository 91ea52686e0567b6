import { useState, type FormEvent } from 'react';
import type { ErrorShape } from '../../../../shared/types';
import { useAppStore } from '../../store';
import { Dialog } from '../../ui/Dialog';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { Field } from '../../ui/Field';
import { useOffline } from '../../ui/use-offline';

/** Paste or open an OctoPrint config.yaml; its softwareupdate checks become components. */
export function ImportOctoprintDialog({ onClose }: { onClose(): void }) {
  const importOctoprint = useAppStore((s) => s.importOctoprint);
  const [text, setText] = useState('');
  const [replace, setReplace] = useState(false);
  const [error, setError] = useState<ErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  const offline = useOffline();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) {
      setError({ code: 'INVALID_REQUEST', message: 'Paste the contents of config.yaml or choose the file first.' });
      return;
    }
    setBusy(true);
    const result = await importOctoprint(text, replace);
    setBusy(false);
    if (result) setError(result);
    else onClose();
  }

  return (
    <Dialog
      title="Import from OctoPrint"
      onClose={onClose}
      size="large"
      description="Reads plugins.softwareupdate.checks from an OctoPrint config.yaml and adds each check as a component."
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="import-form"
            className="button button-primary"
            title={offline.title}
            disabled={offline.disabled || busy}
          >
            Import
          </button>
        </>
      }
    >
      <form id="import-form" className="form-stack" onSubmit={submit}>
        <Field label="OctoPrint config file">
          <input
            type="file"
            accept=".yaml,.yml,text/yaml"
            onChange={async (e) => {
              const file = e.target.files?.[0];
              if (file) setText(await file.text());
            }}
          />
        </Field>
        <Field label="config.yaml contents" error={error ? `${error.message} (${error.code})` : null}>
          <textarea
            className="mono"
            rows={12}
            value={text}
            onChange={(e) => setText(e.target.value)}
            spellCheck={false}
            placeholder={'plugins:\n  softwareupdate:\n    checks:\n      …'}
          />
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} />
          Replace components that already exist
        </label>
        {error && error.code !== 'INVALID_CONFIG' ? <ErrorMessage error={error} /> : null}
      </form>
    </Dialog>
  );
}
