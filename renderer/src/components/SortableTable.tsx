import { useMemo, useState, type ReactElement, type ReactNode } from 'react';

export interface Column<T> {
  key: string;
  label: string;
  numeric?: boolean;
  /** The value sorted on; columns without it are not sortable. */
  sortValue?(row: T): number | string | undefined;
  render(row: T): ReactNode;
}

interface Props<T> {
  rows: readonly T[];
  columns: Column<T>[];
  rowKey(row: T): string;
  initialSort?: { key: string; dir: 'asc' | 'desc' };
  onRowClick?(row: T): void;
  highlight?: string;
  testId?: string;
}

export function SortableTable<T>({ rows, columns, rowKey, initialSort, onRowClick, highlight, testId }: Props<T>): ReactElement {
  const [sort, setSort] = useState(initialSort);
  const sorted = useMemo(() => {
    const col = sort && columns.find((c) => c.key === sort.key);
    if (!col?.sortValue || !sort) return rows;
    const get = col.sortValue;
    const dir = sort.dir === 'asc' ? 1 : -1;
    return [...rows].sort((a, b) => {
      const va = get(a);
      const vb = get(b);
      if (va === vb) return 0;
      if (va === undefined) return 1;
      if (vb === undefined) return -1;
      return (va < vb ? -1 : 1) * dir;
    });
  }, [rows, columns, sort]);

  const toggle = (key: string): void => {
    setSort((s) => (s?.key === key ? { key, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: 'desc' }));
  };

  return (
    <table className="data" data-testid={testId}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th
              key={c.key}
              className={`${c.numeric ? 'num' : ''} ${c.sortValue ? 'sortable' : ''}`}
              onClick={c.sortValue ? () => toggle(c.key) : undefined}
              aria-sort={sort?.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}
            >
              {c.label}
              {sort?.key === c.key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {sorted.map((row) => {
          const key = rowKey(row);
          return (
            <tr
              key={key}
              data-row-id={key}
              aria-selected={highlight === key ? true : undefined}
              className={`${onRowClick ? 'clickable' : ''}${highlight === key ? ' selected' : ''}`.trim() || undefined}
              onClick={onRowClick ? () => onRowClick(row) : undefined}
            >
              {columns.map((c) => (
                <td key={c.key} className={c.numeric ? 'num' : undefined}>
                  {c.render(row)}
                </td>
              ))}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
