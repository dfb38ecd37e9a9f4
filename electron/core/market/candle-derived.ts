import { INTERVAL_MS, type CandleKey, type Interval } from '../../../shared/candles';
import { bucketWidth } from './candle-history';
import type { CandleOverview } from './candle-overview';
import type { CandleBucket } from './candle-store';

/** Intervals the Candles page offers to build from finer stored candles. */
export const DERIVABLE_INTERVALS: readonly Interval[] = ['5m', '15m', '30m', '1h', '4h', '1d'];

export interface DerivedRequest {
  exchangeName: string;
  symbol: string;
  /** The interval to build. */
  interval: Interval;
  /** The stored interval to build it from; a divisor of `interval`. */
  source: Interval;
  from: number;
  to: number;
  maxPoints: number;
}

export interface DerivedBar extends CandleBucket {
  /** Source candles a complete bar has (`count` below it: a partial bar). */
  expected: number;
}

export interface DerivedSeries {
  /** Width of every bar: the derived interval, or a whole multiple of it when the range needs more than `maxPoints` bars. */
  bucketMs: number;
  /** The range widened to whole bars of the derived interval (bars are never cut by the range). */
  from: number;
  to: number;
  bars: DerivedBar[];
  /** Bars built from fewer source candles than a complete one has (gaps, or the series' ends). */
  partial: number;
}

/** True when `source` candles can be merged into `target` ones (a whole multiple, bigger). */
export function canDerive(source: Interval, target: Interval): boolean {
  const s = INTERVAL_MS[source];
  const t = INTERVAL_MS[target];
  return t > s && t % s === 0;
}

/**
 * Bars of a higher interval built from stored finer candles, the way exchanges open them: every
 * bar starts at a multiple of the interval since the epoch (UTC: 15m bars at :00, :15, …; 1d bars
 * at 00:00). The range is widened to whole bars, so the first and last bar are never cut by it.
 *
 * Partial bars: a bar whose source candles are not all stored (a gap, or the series starting or
 * ending inside it) is still built from the candles that exist, and says so: `count` of
 * `expected`. A bar with no source candle at all is not invented: it is a gap in the derived series too.
 */
export async function deriveCandles(overview: CandleOverview, request: DerivedRequest): Promise<DerivedSeries> {
  if (!canDerive(request.source, request.interval)) {
    throw new RangeError(`cannot build ${request.interval} candles from ${request.source} ones: ${request.interval} must be a whole multiple of ${request.source}`);
  }
  const targetMs = INTERVAL_MS[request.interval];
  const sourceMs = INTERVAL_MS[request.source];
  const from = Math.floor(request.from / targetMs) * targetMs;
  const to = Math.ceil(request.to / targetMs) * targetMs;
  const bucketMs = bucketWidth(to - from, request.maxPoints, targetMs);
  const key: CandleKey = { exchangeName: request.exchangeName, symbol: request.symbol, interval: request.source };
  const columns = await overview.columns(key);
  const expected = bucketMs / sourceMs;
  const bars = columns.buckets(from, to, from, bucketMs).map((b) => ({ ...b, expected }));
  return { bucketMs, from, to, bars, partial: bars.filter((b) => b.count < expected).length };
}
