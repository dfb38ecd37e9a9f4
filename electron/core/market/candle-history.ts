import { INTERVAL_MS, INTERVALS, type CandleKey, type Interval } from '../../../shared/candles';
import { overviewOf, type CandleOverview } from './candle-overview';
import type { CandleBucket, CandleStore } from './candle-store';

/** Charts get at most this many points (recharts is SVG and slows down past a few thousand). */
export const DEFAULT_MAX_POINTS = 2000;

export interface DownsampleRequest extends CandleKey {
  /** Inclusive, ms; the oldest stored candle when absent. */
  from?: number;
  /** Exclusive, ms; just after the newest stored candle when absent. */
  to?: number;
  maxPoints?: number;
}

export interface DownsampledSeries {
  /** Width of every bucket, a whole number of `interval`s (equal to it when nothing was merged). */
  bucketMs: number;
  /** Bucket k starts at `origin + k * bucketMs`. */
  origin: number;
  candles: CandleBucket[];
}

/** Bucket width for `span` ms in at most `maxPoints` buckets, rounded up to whole intervals. */
export function bucketWidth(span: number, maxPoints: number, intervalMs: number): number {
  if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new RangeError(`maxPoints must be a whole number >= 1, got ${maxPoints}`);
  return Math.max(1, Math.ceil(span / maxPoints / intervalMs)) * intervalMs;
}

/**
 * Any range as at most `maxPoints` OHLCV buckets, oldest first. The origin is `from` rounded down
 * to the interval, so buckets line up with candle open times. By default the buckets are folded
 * from the store's columnar overview (in memory, any zoom in milliseconds, kept current by the
 * store's writes); with `overview: null` the database groups the documents instead.
 */
export async function downsample(store: CandleStore, request: DownsampleRequest, overview: CandleOverview | null = overviewOf(store)): Promise<DownsampledSeries> {
  const intervalMs = INTERVAL_MS[request.interval];
  const maxPoints = request.maxPoints ?? DEFAULT_MAX_POINTS;
  if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new RangeError(`maxPoints must be a whole number >= 1, got ${maxPoints}`);
  const columns = overview ? await overview.columns(request) : undefined;
  const from = request.from ?? (columns ? columns.oldest(undefined, request.to) : await store.oldestTimestamp(request, undefined, request.to));
  const newest = request.to === undefined ? (columns ? columns.newest(request.from) : await store.newestTimestamp(request, request.from)) : undefined;
  const to = request.to ?? (newest === undefined ? undefined : newest + intervalMs);
  if (from === undefined || to === undefined || to <= from) return { bucketMs: intervalMs, origin: from ?? 0, candles: [] };
  const origin = Math.floor(from / intervalMs) * intervalMs;
  const bucketMs = bucketWidth(to - origin, maxPoints, intervalMs);
  const candles = columns ? columns.buckets(from, to, origin, bucketMs) : await store.buckets({ ...request, from, to }, origin, bucketMs);
  return { bucketMs, origin, candles };
}

export interface ResampleRequest extends CandleKey {
  /** The interval to build; a whole multiple of the stored `interval`. */
  target: Interval;
  from?: number;
  to?: number;
}

/**
 * Stored candles (typically 1m) merged into a higher interval. Buckets start at multiples of the
 * target interval since the epoch (UTC), the way exchanges open their 5m, 1h or 1d candles; a
 * bucket with missing minutes is built from the minutes that exist (its `count` says how many).
 */
export async function resample(store: CandleStore, request: ResampleRequest): Promise<CandleBucket[]> {
  const sourceMs = INTERVAL_MS[request.interval];
  const targetMs = INTERVAL_MS[request.target];
  if (!INTERVALS.includes(request.target) || targetMs < sourceMs || targetMs % sourceMs !== 0) {
    throw new RangeError(`cannot resample ${request.interval} candles to ${request.target}: the target must be a multiple of the source interval`);
  }
  return store.buckets(request, 0, targetMs);
}
