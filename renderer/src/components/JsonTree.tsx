import { useState, type ReactElement } from 'react';
import { formatTime } from '../lib/format';

/** Epoch milliseconds between 2008 and 2100 under a name that says time: shown as a UTC date. */
const TIME_KEY = /(At|Time|Timestamp|Date|Since|Until)$|^(at|time|timestamp|ts|date|since|until|from|to)$/;
export function looksLikeTime(name: string, value: number): boolean {
  return Number.isInteger(value) && value >= 1.2e12 && value <= 4.1e12 && TIME_KEY.test(name);
}

function summary(value: unknown): string {
  if (Array.isArray(value)) return `[${value.length}]`;
  if (value && typeof value === 'object') return `{${Object.keys(value).length}}`;
  return '';
}

function Leaf({ name, value }: { name: string; value: unknown }): ReactElement {
  if (typeof value === 'string') return <span className="str">"{value}"</span>;
  if (typeof value === 'number' && looksLikeTime(name, value)) {
    return (
      <span className="numv" title={`${value} ms since 1970`} data-epoch={value}>
        {formatTime(value, true)} UTC
      </span>
    );
  }
  // 12 significant digits hide binary float noise (0.08862964109999999 → 0.0886296411).
  if (typeof value === 'number') return <span className="numv">{Number.isInteger(value) ? value : Number(value.toPrecision(12))}</span>;
  if (typeof value === 'boolean' || value === null || value === undefined) return <span className="meta">{String(value)}</span>;
  return <span>{String(value)}</span>;
}

function Node({ name, value, depth, openDepth }: { name: string; value: unknown; depth: number; openDepth: number }): ReactElement {
  const branch = value !== null && typeof value === 'object';
  const [open, setOpen] = useState(depth < openDepth);
  if (!branch) {
    return (
      <li>
        <span className="key">{name}</span>: <Leaf name={name} value={value} />
      </li>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  return (
    <li>
      <button type="button" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span className="meta">{open ? '▾' : '▸'}</span> <span className="key">{name}</span> <span className="meta">{summary(value)}</span>
      </button>
      {open && (
        <ul>
          {entries.length === 0 && <li className="meta">(empty)</li>}
          {entries.map(([k, v]) => (
            <Node key={k} name={k} value={v} depth={depth + 1} openDepth={openDepth} />
          ))}
        </ul>
      )}
    </li>
  );
}

/** An expandable view of any JSON value; the first `openDepth` levels start open. */
export function JsonTree({ data, openDepth = 1, rootName }: { data: Record<string, unknown>; openDepth?: number; rootName?: string }): ReactElement {
  const entries = Object.entries(data);
  return (
    <div className="tree" data-testid={rootName ? `tree-${rootName}` : undefined}>
      <ul>
        {entries.map(([k, v]) => (
          <Node key={k} name={k} value={v} depth={0} openDepth={openDepth} />
        ))}
      </ul>
    </div>
  );
}
