import { describe, expect, it } from 'vitest';
import { donchian, rsi, sma } from './indicators';

describe('chart indicators', () => {
  it('SMA starts after its warm-up', () => {
    expect(sma([1, 2, 3, 4, 5], 3)).toEqual([null, null, 2, 3, 4]);
  });

  it("Wilder's RSI: 100 when only rising, 50 when flat, and between for a mix", () => {
    expect(rsi([1, 2, 3, 4, 5, 6], 3).slice(3)).toEqual([100, 100, 100]);
    expect(rsi([5, 5, 5, 5], 2).slice(2)).toEqual([50, 50]);
    // Seed: gains (1+0)/2 = 0.5, losses (0+1)/2 = 0.5 → 50; then gain 2: (0.5+2)/2 vs 0.25 → RS 5 → 83.33
    const v = rsi([10, 11, 10, 12], 2);
    expect(v[2]).toBeCloseTo(50, 12);
    expect(v[3]).toBeCloseTo(100 - 100 / 6, 12);
  });

  it('Donchian channel of the candles before each one', () => {
    const ch = donchian([5, 7, 6, 9], [1, 3, 2, 4], 2);
    expect(ch.upper).toEqual([null, null, 7, 7]);
    expect(ch.lower).toEqual([null, null, 1, 2]);
  });
});
