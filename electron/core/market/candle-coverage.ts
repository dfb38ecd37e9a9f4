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
 * Stored and missing ranges of one series. A series the catalog knows as unbroken (as many candles
 * as minutes between its ends, aligned, both ends confirmed on the index) is answered from the
 * catalog alone; any other is streamed over the index in timestamp order (constant memory,
 * whatever the number of candles).
 */
export async function coverage(store: CandleStore, request: CoverageRequest): Promise<Coverage> {
  const step = INTERVAL_MS[request.interval];
  const summary = await store.seriesSummary(request);
  if (summary && summary.first % step === 0 && summary.last % step === 0 && summary.count === (summary.last - summary.first) / step + 1) {
    const [first, last] = await Promise.all([store.oldestTimestamp(request), store.newestTimestamp(request)]);
    if (first === summary.first && last === summary.last) return unbrokenCoverage(request, first, last);
  }
  return streamedCoverage(store, request);
}

/** Coverage of `request` over a series holding every candle from `first` to `last`. */
export function unbrokenCoverage(request: CoverageRequest, first: number, last: number): Coverage {
  const step = INTERVAL_MS[request.interval];
  const lo = request.from === undefined ? first : Math.max(first, alignUp(request.from, step));
  const hi = request.to === undefined ? last + step : Math.min(last + step, alignUp(request.to, step));
  const stored: StoredRange[] = hi > lo ? [{ from: lo, to: hi, count: (hi - lo) / step }] : [];
  const gaps: MissingRange[] = [];
  const addGap = (from: number, to: number): void => {
    if (to > from) gaps.push({ from, to, missing: Math.round((to - from) / step) });
  };
  if (stored.length > 0) {
    if (request.from !== undefined) addGap(alignUp(request.from, step), lo);
    if (request.to !== undefined) addGap(hi, alignUp(request.to, step));
  } else if (request.from !== undefined && request.to !== undefined) {
    addGap(alignUp(request.from, step), alignUp(request.to, step));
  }
  const count = stored[0]?.count ?? 0;
  const { exchangeName, symbol, interval } = request;
  return {
    exchangeName,
    symbol,
    interval,
    from: request.from ?? stored[0]?.from,
    to: request.to ?? stored[0]?.to,
    count,
    stored,
    gaps,
    missingCandles: gaps.reduce((sum, g) => sum + g.missing, 0),
  };
}

/** Coverage from every stored timestamp in the range, read in order from a cursor. */
export async function streamedCoverage(store: CandleStore, request: CoverageRequest): Promise<Coverage> {
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
