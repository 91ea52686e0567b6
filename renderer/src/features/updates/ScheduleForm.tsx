import { useState } from 'react';
import type { ComponentSchedule, ErrorShape } from '../../../../shared/types';
import { Field } from '../../ui/Field';
import { useAppStore } from '../../store';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { formatDuration, formatRelative } from '../../ui/format';

/** Automatic updates: on or off, the maintenance window, and how old a release must be first. */
export function ScheduleForm({ id, schedule }: { id: string; schedule: ComponentSchedule }) {
  const saveSchedule = useAppStore((s) => s.saveSchedule);
  const [enabled, setEnabled] = useState(schedule.policy === 'auto');
  const [window, setWindow] = useState(schedule.window);
  const [minAge, setMinAge] = useState(schedule.min_release_age ?? '');
  const [error, setError] = useState<ErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section aria-label="Automatic updates" className="schedule">
      <h3 className="section-title">Automatic updates</h3>
      <label className="checkbox">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Install updates automatically in the maintenance window
      </label>
      <div className="form-grid">
        <Field
          label="Maintenance window"
          hint={schedule.window_error ?? schedule.window_description}
          error={error && /window/i.test(error.message) ? error.message : null}
        >
          <input
            value={window}
            onChange={(e) => setWindow(e.target.value)}
            placeholder="daily 03:00 for 2h"
            spellCheck={false}
            autoComplete="off"
          />
        </Field>
        <Field
          label="Minimum release age"
          hint="A release must be this old first, e.g. 3d."
          error={error && /release.age/i.test(error.message) ? error.message : null}
        >
          <input
            value={minAge}
            onChange={(e) => setMinAge(e.target.value)}
            placeholder="3d"
            spellCheck={false}
            autoComplete="off"
          />
        </Field>
      </div>
      <p className="muted small">
        {schedule.next_check_at ? `Next check ${formatRelative(schedule.next_check_at)}. ` : ''}
        An update usually takes {formatDuration(schedule.estimated_duration_ms)}.
      </p>
      {error && !/window|release.age/i.test(error.message) ? <ErrorMessage title="Not saved" error={error} /> : null}
      <div>
        <button
          type="button"
          className="button"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            const e = await saveSchedule(id, {
              enabled,
              window: window.trim() || null,
              min_release_age: minAge.trim() || null,
            });
            setBusy(false);
            setError(e);
          }}
        >
          Save schedule
        </button>
      </div>
    </section>
  );
}
