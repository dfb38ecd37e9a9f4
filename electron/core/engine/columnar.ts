import type { Candle } from '../../../shared/candles';

/**
 * Candles as parallel typed arrays: the replay loop reads numbers straight from memory instead of
 * chasing one object per candle, and a whole series reads from / writes to disk as one buffer.
 * `length` may be below the arrays' capacity (live feeds append).
 */
export interface CandleColumns {
  length: number;
  timestamp: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

export const COLUMN_NAMES = ['timestamp', 'open', 'high', 'low', 'close', 'volume'] as const;
export type ColumnName = (typeof COLUMN_NAMES)[number];

export function allocateColumns(capacity: number): CandleColumns {
  return {
    length: 0,
    timestamp: new Float64Array(capacity),
    open: new Float64Array(capacity),
    high: new Float64Array(capacity),
    low: new Float64Array(capacity),
    close: new Float64Array(capacity),
    volume: new Float64Array(capacity),
  };
}

export function columnsFromCandles(candles: readonly Candle[]): CandleColumns {
  const c = allocateColumns(candles.length);
  for (let i = 0; i < candles.length; i++) writeCandle(c, i, candles[i]!);
  c.length = candles.length;
  return c;
}

function writeCandle(c: CandleColumns, i: number, k: Candle): void {
  c.timestamp[i] = k.timestamp;
  c.open[i] = k.open;
  c.high[i] = k.high;
  c.low[i] = k.low;
  c.close[i] = k.close;
  c.volume[i] = k.volume;
}

/** Appends, doubling capacity when full; returns the (possibly new) columns object. */
export function appendCandle(c: CandleColumns, k: Candle): CandleColumns {
  let target = c;
  if (c.length >= c.timestamp.length) {
    target = allocateColumns(Math.max(16, c.timestamp.length * 2));
    for (const name of COLUMN_NAMES) target[name].set(c[name].subarray(0, c.length));
    target.length = c.length;
  }
  writeCandle(target, target.length, k);
  target.length++;
  return target;
}

export function candleAt(c: CandleColumns, i: number): Candle {
  return { timestamp: c.timestamp[i]!, open: c.open[i]!, high: c.high[i]!, low: c.low[i]!, close: c.close[i]!, volume: c.volume[i]! };
}

/** First index whose timestamp is >= `time` (binary search; columns are sorted by time). */
export function lowerBound(c: CandleColumns, time: number): number {
  let lo = 0;
  let hi = c.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c.timestamp[mid]! < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Packs the columns into one buffer: 6 × length float64s, column after column. */
export function packColumns(c: CandleColumns): Buffer {
  const out = new Float64Array(c.length * COLUMN_NAMES.length);
  COLUMN_NAMES.forEach((name, k) => out.set(c[name].subarray(0, c.length), k * c.length));
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

export function unpackColumns(bytes: Uint8Array, length: number): CandleColumns {
  const expected = length * COLUMN_NAMES.length * 8;
  if (bytes.byteLength !== expected) throw new Error(`candle cache body has ${bytes.byteLength} bytes, expected ${expected} for ${length} candles`);
  // A Float64Array view needs 8-byte alignment; a Buffer from a small read may sit at any offset
  // of a shared pool, so only then is it copied.
  let all: Float64Array;
  if (bytes.byteOffset % 8 === 0) {
    all = new Float64Array(bytes.buffer, bytes.byteOffset, length * COLUMN_NAMES.length);
  } else {
    all = new Float64Array(length * COLUMN_NAMES.length);
    new Uint8Array(all.buffer).set(bytes);
  }
  const c = { length } as CandleColumns;
  COLUMN_NAMES.forEach((name, k) => {
    c[name] = all.subarray(k * length, (k + 1) * length);
  });
  return c;
}
