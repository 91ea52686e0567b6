import type { ReactNode } from 'react';

export type Tone = 'neutral' | 'info' | 'success' | 'warning' | 'danger' | 'accent';

export function Badge({ tone = 'neutral', children, title }: { tone?: Tone; children: ReactNode; title?: string }) {
  return (
    // A narrow column cuts a badge off: its title has the whole text.
    <span className={`badge badge-${tone}`} title={title ?? (typeof children === 'string' ? children : undefined)}>
      <span className="badge-dot" aria-hidden="true" />
      {children}
    </span>
  );
}
