/** Candle vocabulary shared by the core, the contract and the renderer (backtest-kit's terms). */
export const INTERVALS = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '1d'] as const;
export type Interval = (typeof INTERVALS)[number];

const MINUTE = 60_000;
export const INTERVAL_MS: Record<Interval, number> = {
  '1m': MINUTE,
  '3m': 3 * MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': 60 * MINUTE,
  '2h': 120 * MINUTE,
  '4h': 240 * MINUTE,
  '6h': 360 * MINUTE,
  '8h': 480 * MINUTE,
  '1d': 1440 * MINUTE,
};

export function isInterval(value: unknown): value is Interval {
  return typeof value === 'string' && (INTERVALS as readonly string[]).includes(value);
}

/** OHLCV; `timestamp` is the open time in ms since the epoch (UTC). */
export interface Candle {
  timestamp: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface CandleKey {
  exchangeName: string;
  symbol: string;
  interval: Interval;
}

export type StoredCandle = Candle & CandleKey;

export type CandleRule =
  | 'interval'
  | 'finite'
  | 'timestamp'
  | 'aligned'
  | 'high_low'
  | 'low_open_close'
  | 'high_open_close'
  | 'volume';

export interface CandleViolation {
  rule: CandleRule;
  field: keyof Candle | 'interval';
  message: string;
}

const FIELDS = ['timestamp', 'open', 'high', 'low', 'close', 'volume'] as const;

/** Every rule a candle breaks, each with its own message; empty when the candle is valid. */
export function candleViolations(candle: Candle, interval: string): CandleViolation[] {
  const out: CandleViolation[] = [];
  if (!isInterval(interval)) {
    out.push({ rule: 'interval', field: 'interval', message: `interval "${interval}" is not one of ${INTERVALS.join(' ')}` });
  }
  for (const field of FIELDS) {
    const value = candle[field];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      out.push({ rule: 'finite', field, message: `${field} must be a finite number, got ${String(value)}` });
    }
  }
  if (out.some((v) => v.rule === 'finite')) return out;
  const { timestamp, open, high, low, close, volume } = candle;
  if (!Number.isInteger(timestamp) || timestamp < 0) {
    out.push({ rule: 'timestamp', field: 'timestamp', message: `timestamp must be a whole number of ms >= 0, got ${timestamp}` });
  } else if (isInterval(interval) && timestamp % INTERVAL_MS[interval] !== 0) {
    out.push({
      rule: 'aligned',
      field: 'timestamp',
      message: `timestamp ${timestamp} (${new Date(timestamp).toISOString()}) is not aligned to the ${interval} interval`,
    });
  }
  if (high < low) out.push({ rule: 'high_low', field: 'high', message: `high ${high} is below low ${low}` });
  if (low > Math.min(open, close)) {
    out.push({ rule: 'low_open_close', field: 'low', message: `low ${low} is above min(open ${open}, close ${close})` });
  }
  if (high < Math.max(open, close)) {
    out.push({ rule: 'high_open_close', field: 'high', message: `high ${high} is below max(open ${open}, close ${close})` });
  }
  if (volume < 0) out.push({ rule: 'volume', field: 'volume', message: `volume ${volume} is negative` });
  return out;
}

export class InvalidCandleError extends Error {
  constructor(public readonly violations: CandleViolation[], context = '') {
    super(`Invalid candle${context ? ` ${context}` : ''}: ${violations.map((v) => v.message).join('; ')}`);
    this.name = 'InvalidCandleError';
  }
}
