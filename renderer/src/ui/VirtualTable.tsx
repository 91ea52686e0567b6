import {
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type CSSProperties,
  type FocusEvent,
  type ReactNode,
} from 'react';
import { flushSync } from 'react-dom';

export interface Column {
  key: string;
  header: ReactNode;
  /** Narrowest width in px. */
  min: number;
  /** Share of the spare width (fr); 0 or absent keeps the column at `min`. */
  grow?: number;
  align?: 'start' | 'end';
  /** Columns that may go when the table is too narrow: 1 goes first, then 2 …; absent never goes. */
  drop?: number;
  /** As a card (narrow screens): `wide` takes a line of its own, `hidden` is left out. */
  card?: 'wide' | 'hidden';
}

/** Narrower than this, each row is drawn as a card: title, labelled facts two by two, actions. */
export const CARD_BREAKPOINT = 600;
const CARD_LINE = 46;
const CARD_WIDE_LINE = 70;

/** The last column, aligned to the end, holds a row's buttons: on a card they take the last line. */
function isActions(columns: Column[], index: number): boolean {
  return index === columns.length - 1 && columns[index]?.align === 'end';
}

/** A card's height: padding, the title line, two facts a line, wide facts and the actions a line each. */
function cardHeight(columns: Column[]): number {
  const shown = columns.slice(1).filter((c) => c.card !== 'hidden');
  const actions = isActions(columns, columns.length - 1) ? 1 : 0;
  const facts = shown.slice(0, shown.length - actions);
  const pairs = Math.ceil(facts.filter((c) => c.card !== 'wide').length / 2);
  const wide = facts.filter((c) => c.card === 'wide').length;
  return 20 + 38 + (pairs + actions) * CARD_LINE + wide * CARD_WIDE_LINE;
}

const GAP = 10;
const PADDING = 28;

/**
 * The columns that fit `width`, dropping the most droppable ones first; null when even the ones
 * that cannot be dropped do not fit (the rows are then shown as cards, so no action is cut off).
 */
function fitColumns(columns: Column[], width: number): Column[] | null {
  const visible = [...columns];
  const need = () => visible.reduce((sum, c) => sum + c.min, 0) + GAP * (visible.length - 1) + PADDING;
  while (need() > width) {
    const candidates = visible.filter((c) => c.drop !== undefined);
    if (candidates.length === 0) return null;
    const next = candidates.reduce((a, b) => ((b.drop ?? 0) < (a.drop ?? 0) ? b : a));
    visible.splice(visible.indexOf(next), 1);
  }
  return visible;
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
export function VirtualTable<T>({
  label,
  columns,
  items,
  rowKey,
  renderCells,
  rowHeight: tableRowHeight = 56,
  empty,
  rowLabel,
  rowClassName,
}: VirtualTableProps<T>) {
  const tableRef = useRef<HTMLDivElement>(null);
  const isEmpty = items.length === 0;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(800);
  const [width, setWidth] = useState(1200);
  // The row holding keyboard focus: rows around it are always drawn, so Tab and Shift+Tab always find a next row.
  const [focusIndex, setFocusIndex] = useState<number | null>(null);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    const table = tableRef.current;
    if (!el || !table) return undefined;
    const measure = () => {
      setViewport(el.clientHeight || 800);
      setWidth(table.clientWidth || 1200);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    observer.observe(table);
    return () => observer.disconnect();
    // The body is a different element while the list is empty (outside the table, see below).
  }, [isEmpty]);

  const fitted = width < CARD_BREAKPOINT ? null : fitColumns(columns, width);
  const cards = fitted === null;
  const rowHeight = cards ? cardHeight(columns) : tableRowHeight;

  // A shorter list (after filtering) must not leave the view scrolled past its end.
  useEffect(() => {
    const el = scrollRef.current;
    if (el && el.scrollTop > items.length * rowHeight) {
      el.scrollTop = 0;
      setScrollTop(0);
    }
  }, [items.length, rowHeight]);

  const visible = fitted ?? columns.filter((c) => c.card !== 'hidden');
  const shownIndexes = visible.map((c) => columns.indexOf(c));
  const template = cards
    ? undefined
    : visible.map((c) => (c.grow ? `minmax(${c.min}px, ${c.grow}fr)` : `${c.min}px`)).join(' ');
  let start = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  let end = Math.min(items.length, Math.ceil((scrollTop + viewport) / rowHeight) + OVERSCAN);
  if (focusIndex !== null && focusIndex < items.length) {
    start = Math.max(0, Math.min(start, focusIndex - 2));
    end = Math.min(items.length, Math.max(end, focusIndex + 3));
  }

  const onFocus = (event: FocusEvent<HTMLDivElement>) => {
    const row = event.target instanceof Element ? event.target.closest('[aria-rowindex]') : null;
    const index = row ? Number(row.getAttribute('aria-rowindex')) - 2 : null;
    // Synchronously, so the rows next to it exist before the next key press moves focus on.
    if (index !== focusIndex) flushSync(() => setFocusIndex(index));
  };
  const rows: ReactNode[] = [];
  for (let i = start; i < end; i += 1) {
    const item = items[i];
    if (item === undefined) continue;
    const cells = renderCells(item, i);
    const style: CSSProperties = {
      gridTemplateColumns: template,
      height: rowHeight,
      transform: `translateY(${i * rowHeight}px)`,
    };
    rows.push(
      <div
        key={rowKey(item)}
        role="row"
        aria-rowindex={i + 2}
        aria-label={rowLabel?.(item)}
        className={`vt-row${rowClassName?.(item) ? ` ${rowClassName(item)}` : ''}`}
        style={style}
      >
        {shownIndexes.map((c, n) => {
          const column = columns[c];
          const place = cards
            ? isActions(columns, c)
              ? ' vt-actions'
              : column?.card === 'wide'
                ? ' vt-wide'
                : ''
            : column?.align === 'end'
              ? ' vt-end'
              : '';
          return (
            <div key={column?.key ?? c} role="cell" className={`vt-cell${place}`}>
              {/* On a card the column's name goes with each fact; the header row is there for assistive technology. */}
              {cards && n > 0 && typeof column?.header === 'string' ? (
                <span className="vt-card-label" aria-hidden="true">
                  {column.header}
                </span>
              ) : null}
              {cells[c]}
            </div>
          );
        })}
      </div>,
    );
  }

  return (
    <div ref={tableRef} className={`vt${cards ? ' vt-cards' : ''}`}>
      <div role="table" aria-label={label} aria-rowcount={items.length + 1}>
        <div role="rowgroup" className={cards ? 'vt-head visually-hidden' : 'vt-head'}>
          <div role="row" aria-rowindex={1} className="vt-row vt-header" style={{ gridTemplateColumns: template }}>
            {visible.map((c) => (
              <div key={c.key} role="columnheader" className={`vt-cell${c.align === 'end' ? ' vt-end' : ''}`}>
                {c.header}
              </div>
            ))}
          </div>
        </div>
        {/* The scroll area is focusable so keyboard users can scroll it with the arrow and page keys. */}
        {isEmpty ? null : (
          <div
            ref={scrollRef}
            role="rowgroup"
            className="vt-body"
            tabIndex={0}
            aria-label={`${label}, ${items.length} ${items.length === 1 ? 'row' : 'rows'}`}
            onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
            onFocus={onFocus}
          >
            <div className="vt-spacer" style={{ height: items.length * rowHeight }}>
              {rows}
            </div>
          </div>
        )}
      </div>
      {/* Without rows the table holds only its header: what to do instead is said next to it, not in a row group without rows. */}
      {isEmpty ? (
        <div ref={scrollRef} className="vt-body vt-body-empty">
          {empty ? <div className="vt-empty">{empty}</div> : null}
        </div>
      ) : null}
    </div>
  );
}
