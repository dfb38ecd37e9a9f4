import type { ReactElement } from 'react';
import { formatPercent, formatPrice, formatTime, signClass } from '../../lib/format';

/** Names backtest-kit uses, as a trader reads them; anything else is split from camelCase. */
const LABELS: Record<string, string> = {
  priceOpen: 'Entry price',
  priceClose: 'Close price',
  priceTakeProfit: 'Take profit',
  priceStopLoss: 'Stop loss',
  originalPriceOpen: 'Original entry',
  originalPriceTakeProfit: 'Original take profit',
  originalPriceStopLoss: 'Original stop loss',
  currentPrice: 'Price',
  effectivePriceOpen: 'Effective entry',
  pnlPercentage: 'PnL',
  pnlPercent: 'PnL',
  pnlCost: 'PnL (cost)',
  pnlEntries: 'Invested',
  pnlPriceOpen: 'PnL entry price',
  pnlPriceClose: 'PnL close price',
  minuteEstimatedTime: 'Lifetime (min)',
  closeReason: 'Close reason',
  cancelReason: 'Cancel reason',
  signalId: 'Signal',
  strategyName: 'Strategy',
  exchangeName: 'Exchange',
  frameName: 'Frame',
  percentToClose: 'Closed (%)',
  percentShift: 'Shift (%)',
  totalEntries: 'Entries',
  totalPartials: 'Partial closes',
  rejectionNote: 'Rejection',
  activePositionCount: 'Active positions',
  isPaused: 'Paused',
  _entry: 'Entries',
  _peak: 'Peak',
  _fall: 'Fall',
  _partial: 'Partial closes',
  _isScheduled: 'Scheduled',
};

export function labelFor(key: string): string {
  const known = LABELS[key];
  if (known) return known;
  const words = key
    .replace(/^_+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_.]+/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const isTimeKey = (key: string): boolean => /(At|timestamp|Timestamp|^when|Date|^time)$/.test(key);
const isPercentKey = (key: string): boolean => /(Percentage|Percent|^pnl$)$/.test(key) || /percentage/i.test(key);
const isPriceKey = (key: string): boolean => /price/i.test(key);

/**
 * A signal's lifetime that is none: Infinity (backtest-kit's, also "Infinity" once made plain for
 * the transport), null (Infinity after JSON) or 0 (what the monitor stored for it before).
 */
function isNoLifetime(value: unknown): boolean {
  return value === Infinity || value === 'Infinity' || value === null || value === 0;
}

/** One value as text, by what its name says it is (a time, a price, a percentage). */
export function formatValue(key: string, value: unknown): { text: string; className?: string } {
  if (key === 'minuteEstimatedTime' && isNoLifetime(value)) return { text: 'no limit' };
  if (value === null || value === undefined) return { text: '—', className: 'faint' };
  if (typeof value === 'boolean') return { text: value ? 'yes' : 'no' };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { text: String(value) };
    if (isTimeKey(key) && value > 1e11) return { text: formatTime(value, true) };
    if (isPercentKey(key)) return { text: formatPercent(value), className: signClass(value) };
    if (isPriceKey(key)) return { text: formatPrice(value) };
    return { text: Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(10))) };
  }
  if (typeof value === 'string') return { text: value === '' ? '(empty)' : value, className: value === '' ? 'faint' : undefined };
  return { text: String(value) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A list as text when it holds only plain values. */
function flatList(value: unknown[]): string | undefined {
  if (value.length === 0) return '(none)';
  if (value.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))) return value.map((v) => String(v)).join(', ');
  return undefined;
}

/**
 * Any record as labelled key/value rows (a `dl`), nested records and lists of records as nested
 * rows: never raw JSON. `depth` bounds what a deeply nested value can cost on screen.
 */
export function KeyValues({ data, omit, depth = 0, testId }: { data: Record<string, unknown>; omit?: readonly string[]; depth?: number; testId?: string }): ReactElement {
  const entries = Object.entries(data).filter(([k, v]) => v !== undefined && !omit?.includes(k));
  if (entries.length === 0) return <span className="faint">(empty)</span>;
  return (
    <dl className="kv" data-testid={testId} style={depth > 0 ? { fontSize: 12, gap: '4px 14px' } : undefined}>
      {entries.map(([key, value]) => (
        <Row key={key} name={key} value={value} depth={depth} />
      ))}
    </dl>
  );
}

function Row({ name, value, depth }: { name: string; value: unknown; depth: number }): ReactElement {
  const label = labelFor(name);
  let body: ReactElement;
  if (isPlainObject(value)) {
    body = depth >= 4 ? <span className="faint">{Object.keys(value).length} fields</span> : <KeyValues data={value} depth={depth + 1} />;
  } else if (Array.isArray(value)) {
    const flat = flatList(value);
    body =
      flat !== undefined ? (
        <span>{flat}</span>
      ) : depth >= 4 ? (
        <span className="faint">{value.length} items</span>
      ) : (
        <div style={{ display: 'grid', gap: 6 }}>
          {value.map((item, i) => (
            <div key={i} style={{ borderLeft: '2px solid var(--border)', paddingLeft: 8 }}>
              {isPlainObject(item) ? <KeyValues data={item} depth={depth + 1} /> : <span>{formatValue(name, item).text}</span>}
            </div>
          ))}
        </div>
      );
  } else {
    const { text, className } = formatValue(name, value);
    body = <span className={className}>{text}</span>;
  }
  return (
    <>
      <dt data-key={name}>{label}</dt>
      <dd>{body}</dd>
    </>
  );
}
