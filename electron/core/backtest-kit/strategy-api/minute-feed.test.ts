import { describe, expect, it } from 'vitest';
import { MinuteFeed, MissingCandlesError } from './minute-feed';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1);

/** Columns from [minute offset, open, high, low, close, volume] rows. */
function columns(rows: number[][]) {
  const pick = (i: number) => Float64Array.from(rows.map((r) => (i === 0 ? T0 + r[0]! * MIN : r[i]!)));
  return { length: rows.length, timestamp: pick(0), open: pick(1), high: pick(2), low: pick(3), close: pick(4), volume: pick(5) };
}

describe('MinuteFeed (the candle store as backtest-kit\'s exchange)', () => {
  const feed = new MinuteFeed(
    columns([
      [0, 10, 12, 9, 11, 5],
      [1, 11, 13, 10, 12, 5],
      // minutes 2 and 3 are missing
      [4, 12, 14, 11, 13, 10],
    ]),
    'TEST/USD',
  );

  it('answers a missing minute with a flat zero-volume candle at the previous close, also after the end', () => {
    expect(feed.candle(2, 1)).toEqual({ timestamp: T0 + 2 * MIN, open: 12, high: 12, low: 12, close: 12, volume: 0 });
    expect(feed.candle(9, 1)).toEqual({ timestamp: T0 + 9 * MIN, open: 13, high: 13, low: 13, close: 13, volume: 0 });
  });

  it('has nothing before the first stored candle, and says which time was asked for', () => {
    expect(() => feed.candlesBefore(T0 + MIN, '1m', 2)).toThrow(MissingCandlesError);
    expect(() => feed.candlesBefore(T0 + MIN, '1m', 2)).toThrow(/2023-12-31T23:59:00.000Z/);
  });

  it('returns exactly `limit` candles that opened before the moment, higher intervals aggregated', () => {
    const oneMinute = feed.candlesBefore(T0 + 5 * MIN + 30_000, '1m', 3);
    expect(oneMinute.map((c) => c.timestamp)).toEqual([T0 + 2 * MIN, T0 + 3 * MIN, T0 + 4 * MIN]);
    const [fiveMinutes] = feed.candlesBefore(T0 + 5 * MIN, '5m', 1);
    expect(fiveMinutes).toEqual({ timestamp: T0, open: 10, high: 14, low: 9, close: 13, volume: 20 });
  });

  it('prices at the volume-weighted typical price, or the mean close without volume', () => {
    expect(feed.vwap(0, 1)).toBeCloseTo(((12 + 9 + 11) / 3 + (13 + 10 + 12) / 3) / 2, 12);
    expect(feed.vwap(2, 3)).toBe(12);
  });
});
