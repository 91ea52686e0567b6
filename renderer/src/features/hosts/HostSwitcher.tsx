import { useEffect, useId } from 'react';
import { useAppStore } from '../../store';
import { ALL_HOSTS, LOCAL } from '../../store/hosts-slice';

/** Which host the panel shows: this computer, one registered host, or all of them side by side. */
export function HostSwitcher() {
  const id = useId();
  const hosts = useAppStore((s) => s.hosts);
  const scope = useAppStore((s) => s.hostScope);
  const setScope = useAppStore((s) => s.setHostScope);
  const setView = useAppStore((s) => s.setView);
  const loadHosts = useAppStore((s) => s.loadHosts);
  useEffect(() => void loadHosts(), [loadHosts]);
  return (
    <div className="host-switcher field">
      <label htmlFor={id}>Host</label>
      <select
        id={id}
        value={scope}
        onChange={(e) => {
          if (e.target.value === ALL_HOSTS) setView('components');
          void setScope(e.target.value);
        }}
      >
        <option value={LOCAL}>This computer</option>
        {hosts.map((h) => (
          <option key={h.name} value={h.name}>
            {h.name}
          </option>
        ))}
        <option value={ALL_HOSTS}>All hosts</option>
      </select>
    </div>
  );
}
