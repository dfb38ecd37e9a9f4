import { expect } from 'vitest';
import type { Candle } from '../../../../shared/candles';
import type { CandleBucket } from '../candle-store';

/** The obvious way: walk every candle and fold it into its bucket (the reference for downsampling). */
export function bruteForceBuckets(candles: readonly Candle[], from: number, to: number, origin: number, width: number): CandleBucket[] {
  const out = new Map<number, CandleBucket>();
  for (const c of [...candles].sort((a, b) => a.timestamp - b.timestamp)) {
    if (c.timestamp < from || c.timestamp >= to) continue;
    const start = origin + Math.floor((c.timestamp - origin) / width) * width;
    const b = out.get(start);
    if (!b) out.set(start, { ...c, timestamp: start, count: 1 });
    else {
      b.high = Math.max(b.high, c.high);
      b.low = Math.min(b.low, c.low);
      b.close = c.close;
      b.volume += c.volume;
      b.count++;
    }
  }
  return [...out.values()].sort((a, b) => a.timestamp - b.timestamp);
}

export function expectSameBuckets(actual: CandleBucket[], expected: CandleBucket[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    expect({ ...a, volume: 0 }).toEqual({ ...e, volume: 0 });
    // Summation order may differ between the database and the reference.
    expect(a.volume).toBeCloseTo(e.volume, 6);
  });
}
