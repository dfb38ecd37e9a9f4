import { INTERVAL_MS, type CandleKey } from '../../../shared/candles';
import type { CandleStore } from './candle-store';

/** `[from, to)` in ms. */
export interface TimeRange {
  from: number;
  to: number;
}

export interface StoredRange extends TimeRange {
  /** Candles in the range (it has no holes). */
  count: number;
}

export interface MissingRange extends TimeRange {
  /** Candles missing in the range. */
  missing: number;
}

export interface Coverage extends CandleKey {
  /** The range examined: the requested one, or first..last stored candle. */
  from?: number;
  to?: number;
  count: number;
  stored: StoredRange[];
  /** Holes between stored candles, plus the uncovered head and tail of a requested range. */
  gaps: MissingRange[];
  missingCandles: number;
}

export interface CoverageRequest extends CandleKey {
  from?: number;
  to?: number;
}

function alignUp(ms: number, step: number): number {
  return Math.ceil(ms / step) * step;
}

/**
 * Stored and missing ranges of one series, streamed over the index in timestamp order
 * (constant memory, whatever the number of candles).
 */
export async function coverage(store: CandleStore, request: CoverageRequest): Promise<Coverage> {
  const step = INTERVAL_MS[request.interval];
  const stored: StoredRange[] = [];
  const gaps: MissingRange[] = [];
  let current: StoredRange | undefined;
  let count = 0;
  const addGap = (from: number, to: number): void => {
    if (to > from) gaps.push({ from, to, missing: Math.round((to - from) / step) });
  };
  for await (const ts of store.timestamps(request)) {
    count++;
    if (current && ts === current.to) {
      current.to += step;
      current.count++;
      continue;
    }
    if (current) {
      stored.push(current);
      addGap(current.to, ts);
    } else if (request.from !== undefined) {
      addGap(alignUp(request.from, step), ts);
    }
    current = { from: ts, to: ts + step, count: 1 };
  }
  if (current) {
    stored.push(current);
    if (request.to !== undefined) addGap(current.to, alignUp(request.to, step));
  } else if (request.from !== undefined && request.to !== undefined) {
    addGap(alignUp(request.from, step), alignUp(request.to, step));
  }
  const { exchangeName, symbol, interval } = request;
  return {
    exchangeName,
    symbol,
    interval,
    from: request.from ?? stored[0]?.from,
    to: request.to ?? stored[stored.length - 1]?.to,
    count,
    stored,
    gaps,
    missingCandles: gaps.reduce((sum, g) => sum + g.missing, 0),
  };
}
