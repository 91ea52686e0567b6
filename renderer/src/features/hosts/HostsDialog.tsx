import { useEffect, useState, type FormEvent } from 'react';
import { errorFields } from '../../api';
import { useAppStore } from '../../store';
import { Dialog } from '../../ui/Dialog';
import { Field } from '../../ui/Field';

/** Settings → Hosts: register a host reached over ssh, test it, remove it (nothing is contacted until a test or a call). */
export function HostsDialog({ onClose }: { onClose(): void }) {
  const hosts = useAppStore((s) => s.hosts);
  const tests = useAppStore((s) => s.hostTests);
  const loadHosts = useAppStore((s) => s.loadHosts);
  const addHost = useAppStore((s) => s.addHost);
  const testHost = useAppStore((s) => s.testHost);
  const removeHost = useAppStore((s) => s.removeHost);
  const [form, setForm] = useState({ name: '', ssh: '', port: '', identity: '', known_hosts: '', remote_upkeep: '' });
  const [problem, setProblem] = useState<{ message: string; fields: string[] } | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  useEffect(() => void loadHosts(), [loadHosts]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const optional = (key: 'identity' | 'known_hosts' | 'remote_upkeep') =>
      form[key].trim() ? { [key]: form[key].trim() } : {};
    const error = await addHost({
      name: form.name.trim(),
      ssh: form.ssh.trim(),
      ...(form.port.trim() ? { port: Number(form.port) } : {}),
      ...optional('identity'),
      ...optional('known_hosts'),
      ...optional('remote_upkeep'),
    });
    setProblem(error ? { message: `${error.message} (${error.code})`, fields: errorFields(error) } : null);
    if (!error) setForm({ name: '', ssh: '', port: '', identity: '', known_hosts: '', remote_upkeep: '' });
  }
  const fieldError = (key: string) =>
    problem?.fields.some((f) => f === key || f.startsWith(`${key}.`)) ? problem.message : null;
  const input = (key: keyof typeof form) => ({
    value: form[key],
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value })),
  });

  return (
    <Dialog
      title="Hosts"
      onClose={onClose}
      size="large"
      description="Other machines this panel manages over ssh. Their Upkeep runs there; your ssh keys, agent and known_hosts apply, and an unknown host key is refused, never accepted."
    >
      <section aria-labelledby="hosts-list-title">
        <h3 id="hosts-list-title">Registered hosts</h3>
        {hosts.length === 0 ? <p className="muted">No hosts yet: add one below.</p> : null}
        <ul className="hosts-list">
          {hosts.map((h) => {
            const test = tests[h.name];
            return (
              <li key={h.name} data-host={h.name}>
                <div>
                  <strong>{h.name}</strong> <span className="mono">{h.ssh}</span>
                  {test ? (
                    <p className={test.ok ? 'host-test-ok' : 'field-error'}>
                      {test.ok
                        ? `Answers: ${test.detail ?? ''}`
                        : `${test.error?.code ?? ''}: ${test.error?.message ?? ''}${typeof test.error?.details?.fingerprint === 'string' ? ` Fingerprint: ${test.error.details.fingerprint}` : ''}`}
                    </p>
                  ) : null}
                </div>
                <div className="toolbar">
                  <button
                    type="button"
                    className="button button-small"
                    disabled={testing === h.name}
                    aria-label={`Test ${h.name}`}
                    onClick={async () => {
                      setTesting(h.name);
                      await testHost(h.name);
                      setTesting(null);
                    }}
                  >
                    {testing === h.name ? 'Testing…' : 'Test'}
                  </button>
                  <button
                    type="button"
                    className="button button-small button-danger"
                    aria-label={`Remove ${h.name}`}
                    onClick={() => void removeHost(h.name)}
                  >
                    Remove
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      </section>
      <form onSubmit={(e) => void submit(e)} aria-labelledby="hosts-add-title">
        <h3 id="hosts-add-title">Add a host</h3>
        <div className="form-grid">
          <Field label="Name" error={fieldError('name')} hint="What the panel and `--on NAME` call it.">
            <input required spellCheck={false} autoComplete="off" {...input('name')} />
          </Field>
          <Field label="SSH target" error={fieldError('ssh')} hint="USER@HOST, e.g. pi@raspberrypi.local">
            <input required spellCheck={false} autoComplete="off" {...input('ssh')} />
          </Field>
          <Field label="Port" error={fieldError('port')}>
            <input inputMode="numeric" {...input('port')} />
          </Field>
          <Field label="Identity file" error={fieldError('identity')} hint="A private key (ssh -i); optional.">
            <input spellCheck={false} {...input('identity')} />
          </Field>
          <Field label="known_hosts file" error={fieldError('known_hosts')} hint="Optional; Upkeep never writes it.">
            <input spellCheck={false} {...input('known_hosts')} />
          </Field>
          <Field label="Upkeep command there" error={fieldError('remote_upkeep')} hint="Default: upkeep">
            <input spellCheck={false} {...input('remote_upkeep')} />
          </Field>
        </div>
        {problem && problem.fields.length === 0 ? <p className="field-error">{problem.message}</p> : null}
        <div className="toolbar">
          <button type="submit" className="button button-primary">
            Add host
          </button>
        </div>
      </form>
    </Dialog>
  );
}
