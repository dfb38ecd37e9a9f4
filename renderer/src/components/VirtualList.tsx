import { useCallback, useLayoutEffect, useRef, useState, type ReactElement, type ReactNode } from 'react';

/** Which rows to mount for a scroll position: the visible ones plus `overscan` on each side. */
export function visibleRange(scrollTop: number, viewport: number, rowHeight: number, count: number, overscan = 8): [number, number] {
  const first = Math.max(0, Math.min(count, Math.floor(scrollTop / rowHeight) - overscan));
  const last = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return [first, Math.max(first, last)];
}

interface Props<T> {
  items: readonly T[];
  rowHeight: number;
  height: number;
  rowKey(item: T): string;
  renderRow(item: T, index: number): ReactNode;
  onEndReached?(): void;
  testId?: string;
}

/**
 * A windowed list with fixed row height: only the rows on screen are in the DOM, so a feed of
 * thousands of notifications costs the same to render as one of thirty.
 */
export function VirtualList<T>({ items, rowHeight, height, rowKey, renderRow, onEndReached, testId }: Props<T>): ReactElement {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const endRef = useRef(onEndReached);
  endRef.current = onEndReached;

  const onScroll = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    setScrollTop(el.scrollTop);
    if (el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight * 4) endRef.current?.();
  }, [rowHeight]);

  useLayoutEffect(() => {
    if (ref.current && ref.current.scrollTop > items.length * rowHeight) ref.current.scrollTop = 0;
  }, [items.length, rowHeight]);

  const [first, last] = visibleRange(scrollTop, height, rowHeight, items.length);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    const item = items[i]!;
    rows.push(
      <div key={rowKey(item)} style={{ position: 'absolute', top: i * rowHeight, left: 0, right: 0, height: rowHeight }}>
        {renderRow(item, i)}
      </div>,
    );
  }
  return (
    <div ref={ref} className="vlist" style={{ height }} onScroll={onScroll} data-testid={testId} role="list">
      <div style={{ height: items.length * rowHeight, position: 'relative' }}>{rows}</div>
    </div>
  );
}
