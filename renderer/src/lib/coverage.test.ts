import { describe, expect, it } from 'vitest';
import { coverageBins } from './coverage';

const M = 60_000;

describe('coverage bins', () => {
  it('draws gaps to scale: one missing minute in a hundred is a hundredth of its bin', () => {
    const bins = coverageBins(0, 1000 * M, [{ from: 5 * M, to: 6 * M, missing: 1 }], 10);
    expect(bins[0]).toBeCloseTo(0.01, 12);
    expect(bins.slice(1).every((b) => b === 0)).toBe(true);
  });

  it('fills every bin a long gap spans, and sums to the missing share', () => {
    const gaps = [
      { from: 150 * M, to: 450 * M, missing: 300 },
      { from: 900 * M, to: 901 * M, missing: 1 },
    ];
    const bins = coverageBins(0, 1000 * M, gaps, 10);
    expect(bins.slice(2, 4)).toEqual([1, 1]);
    expect(bins[1]).toBeCloseTo(0.5, 12);
    expect(bins.reduce((a, b) => a + b, 0) / bins.length).toBeCloseTo(0.301, 12);
  });
});
