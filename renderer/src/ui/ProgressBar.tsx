export function ProgressBar({ label, percent }: { label: string; percent: number | null }) {
  const value = percent === null ? undefined : Math.max(0, Math.min(100, Math.round(percent)));
  return (
    <div
      className={`progress${value === undefined ? ' progress-indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
    >
      <div className="progress-fill" style={{ width: value === undefined ? undefined : `${value}%` }} />
    </div>
  );
}
