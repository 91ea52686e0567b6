import { useId, useState } from 'react';
import { useAppStore } from '../../store';
import { LOCAL } from '../../store/hosts-slice';
import { Dialog } from '../../ui/Dialog';
import { Field } from '../../ui/Field';

const hostLabel = (host: string) => (host === LOCAL ? 'This computer' : host);

/** "Roll out": update a component on a canary host first, then on the others once its health checks pass. */
export function RolloutDialog({
  component,
  canary: initialCanary,
  onClose,
}: {
  component: string;
  canary: string;
  onClose(): void;
}) {
  const fleet = useAppStore((s) => s.fleet);
  const rollout = useAppStore((s) => s.rollout);
  const start = useAppStore((s) => s.startRollout);
  const owners = Object.entries(fleet)
    .filter(([, snap]) => snap.components.some((c) => c.id === component))
    .map(([host]) => host);
  const [canary, setCanary] = useState(initialCanary);
  const [chosen, setChosen] = useState<string[]>(owners);
  const groupId = useId();
  const others = chosen.filter((h) => h !== canary);
  const run = rollout?.component === component ? rollout : null;
  const result = run?.result ?? null;
  const latest = new Map((run?.progress ?? []).map((p) => [p.host, p]));

  return (
    <Dialog
      title={`Roll out ${component}`}
      onClose={onClose}
      size="large"
      description="The canary is updated first; the other hosts follow one by one only once its update, health checks included, succeeded. The first failure stops the rollout."
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          <button
            type="button"
            className="button button-primary"
            disabled={run?.running === true}
            onClick={() => void start({ component, canary, hosts: others.length ? others : [canary] })}
          >
            {run?.running ? 'Rolling out…' : 'Start rollout'}
          </button>
        </>
      }
    >
      <Field label="Canary host">
        <select value={canary} onChange={(e) => setCanary(e.target.value)}>
          {owners.map((h) => (
            <option key={h} value={h}>
              {hostLabel(h)}
            </option>
          ))}
        </select>
      </Field>
      <fieldset aria-describedby={groupId}>
        <legend>Then these hosts, in this order</legend>
        <p id={groupId} className="field-hint">
          Hosts that track {component}.
        </p>
        {owners
          .filter((h) => h !== canary)
          .map((h) => (
            <label key={h} className="checkbox">
              <input
                type="checkbox"
                checked={chosen.includes(h)}
                onChange={(e) => setChosen((list) => (e.target.checked ? [...list, h] : list.filter((x) => x !== h)))}
              />
              {hostLabel(h)}
            </label>
          ))}
      </fieldset>
      {run ? (
        <section aria-labelledby="rollout-progress-title" className="rollout-progress">
          <h3 id="rollout-progress-title">Progress</h3>
          <ol>
            {(result?.hosts.map((h) => h.host) ?? [canary, ...others]).map((host) => {
              const final = result?.hosts.find((h) => h.host === host);
              const live = latest.get(host);
              const status = final?.status ?? live?.status ?? 'pending';
              return (
                <li key={host} data-host={host} data-status={status}>
                  {hostLabel(host)}
                  {host === canary ? ' (canary)' : ''}: {status.replace('_', ' ')}
                  {live?.step && !final ? ` — ${live.step}` : ''}
                  {final?.error && final.status === 'failed'
                    ? ` — step ${final.step ?? 'unknown'}: ${final.error.message} (${final.error.code})`
                    : ''}
                </li>
              );
            })}
          </ol>
          {result?.stopped_at ? (
            <p className="callout callout-warning rollout-stopped" role="alert">
              Rollout stopped at {hostLabel(result.stopped_at.host)}
              {result.stopped_at.canary ? ' (the canary)' : ''}: {result.stopped_at.component}, step{' '}
              {result.stopped_at.step ?? 'unknown'} — {result.stopped_at.error?.message ?? 'no reason given'} (
              {result.stopped_at.error?.code ?? '?'}). The hosts after it were not touched.
            </p>
          ) : result ? (
            <p className="callout rollout-done">
              Rollout finished: {result.hosts.filter((h) => h.status === 'succeeded').length} host(s) updated.
            </p>
          ) : null}
          {run.error ? <p className="field-error" role="alert">{`${run.error.message} (${run.error.code})`}</p> : null}
        </section>
      ) : null}
    </Dialog>
  );
}
