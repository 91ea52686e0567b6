import { useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type ReactNode } from 'react';

export interface Column {
  key: string;
  header: ReactNode;
  /** A CSS grid track, e.g. `minmax(10rem, 2fr)` or `7rem`. */
  width: string;
  align?: 'start' | 'end';
}

interface VirtualTableProps<T> {
  label: string;
  columns: Column[];
  items: readonly T[];
  rowKey(item: T): string;
  /** One cell per column, in order. */
  renderCells(item: T, index: number): ReactNode[];
  rowHeight?: number;
  /** Rendered instead of rows when there are none. */
  empty?: ReactNode;
  rowLabel?(item: T): string;
  rowClassName?(item: T): string | undefined;
}

const OVERSCAN = 8;

/**
 * A table that renders only the rows in view (plus a few), so thousands of rows scroll smoothly.
 * Keeps table semantics for assistive technology: aria-rowcount and aria-rowindex tell where a row sits.
 */
export function VirtualTable<T>({ label, columns, items, rowKey, renderCells, rowHeight = 56, empty, rowLabel, rowClassName }: VirtualTableProps<T>) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(800);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return undefined;
    setViewport(el.clientHeight || 800);
    const observer = new ResizeObserver(() => setViewport(el.clientHeight || 800));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // A shorter list (after filtering) must not leave the view scrolled past its end.
  useEffect(() => {
    const el = scrollRef.current;
    if (el && el.scrollTop > items.length * rowHeight) {
      el.scrollTop = 0;
      setScrollTop(0);
    }
  }, [items.length, rowHeight]);

  const template = columns.map((c) => c.width).join(' ');
  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const end = Math.min(items.length, Math.ceil((scrollTop + viewport) / rowHeight) + OVERSCAN);
  const rows: ReactNode[] = [];
  for (let i = start; i < end; i += 1) {
    const item = items[i] as T;
    const cells = renderCells(item, i);
    const style: CSSProperties = { gridTemplateColumns: template, height: rowHeight, transform: `translateY(${i * rowHeight}px)` };
    rows.push(
      <div
        key={rowKey(item)}
        role="row"
        aria-rowindex={i + 2}
        aria-label={rowLabel?.(item)}
        className={`vt-row${rowClassName?.(item) ? ` ${rowClassName(item)}` : ''}`}
        style={style}
      >
        {cells.map((cell, c) => (
          <div key={columns[c]?.key ?? c} role="cell" className={`vt-cell${columns[c]?.align === 'end' ? ' vt-end' : ''}`}>
            {cell}
          </div>
        ))}
      </div>,
    );
  }

  return (
    <div className="vt" role="table" aria-label={label} aria-rowcount={items.length + 1}>
      <div role="rowgroup" className="vt-head">
        <div role="row" aria-rowindex={1} className="vt-row vt-header" style={{ gridTemplateColumns: template }}>
          {columns.map((c) => (
            <div key={c.key} role="columnheader" className={`vt-cell${c.align === 'end' ? ' vt-end' : ''}`}>
              {c.header}
            </div>
          ))}
        </div>
      </div>
      {/* The scroll area is focusable so keyboard users can scroll it with the arrow and page keys. */}
      <div
        ref={scrollRef}
        role="rowgroup"
        className={`vt-body${items.length === 0 ? ' vt-body-empty' : ''}`}
        tabIndex={0}
        aria-label={`${label}, ${items.length} ${items.length === 1 ? 'row' : 'rows'}`}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      >
        {items.length === 0 && empty ? <div className="vt-empty">{empty}</div> : null}
        <div className="vt-spacer" style={{ height: items.length * rowHeight }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
