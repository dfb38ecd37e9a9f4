import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { columnsFromCandles } from './columnar';
import { IndicatorSet } from './indicators';
import { paramFields } from './params-form';
import { readSharedCandles } from './test-support/real-candles';

const candles = readSharedCandles('ETH_BTC-1m.json').slice(0, 3000);
const cols = columnsFromCandles(candles);
const closes = candles.map((c) => c.close);

function naiveSma(i: number, n: number): number {
  if (i + 1 < n) return NaN;
  let s = 0;
  for (let k = i - n + 1; k <= i; k++) s += closes[k]!;
  return s / n;
}

function naiveRsi(end: number, n: number): number {
  // Wilder: simple mean of the first n changes, then smoothed; recomputed from scratch.
  if (end < n) return NaN;
  let gain = 0;
  let loss = 0;
  for (let k = 1; k <= n; k++) {
    const d = closes[k]! - closes[k - 1]!;
    gain += Math.max(d, 0) / n;
    loss += Math.max(-d, 0) / n;
  }
  for (let k = n + 1; k <= end; k++) {
    const d = closes[k]! - closes[k - 1]!;
    gain = (gain * (n - 1) + Math.max(d, 0)) / n;
    loss = (loss * (n - 1) + Math.max(-d, 0)) / n;
  }
  return loss === 0 ? (gain === 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss);
}

describe('incremental indicators', () => {
  it('SMA, RSI and Donchian match a from-scratch computation at every candle', () => {
    const set = new IndicatorSet(cols);
    for (let i = 0; i < cols.length; i++) {
      set.advance(cols, i);
      const sma = set.sma(20);
      const rsi = set.rsi(14);
      const don = set.donchian(30);
      if (i % 37 !== 0 && i < cols.length - 1) continue;
      if (i >= 19) expect(sma.value).toBeCloseTo(naiveSma(i, 20), 12);
      else expect(sma.value).toBeNaN();
      if (i >= 14) expect(rsi.value).toBeCloseTo(naiveRsi(i, 14), 9);
      if (i >= 29) {
        const window = candles.slice(i - 29, i + 1);
        expect(don.upper).toBe(Math.max(...window.map((c) => c.high)));
        expect(don.lower).toBe(Math.min(...window.map((c) => c.low)));
      }
    }
  });

  it('an indicator first asked for late has the value it would have had from the start', () => {
    const early = new IndicatorSet(cols);
    const late = new IndicatorSet(cols);
    for (let i = 0; i < 2000; i++) {
      early.advance(cols, i);
      early.sma(30);
      early.ema(12);
      early.rsi(14);
      early.donchian(20);
      late.advance(cols, i);
    }
    for (const kind of ['sma', 'ema', 'rsi'] as const) {
      expect(late[kind](kind === 'sma' ? 30 : kind === 'ema' ? 12 : 14).value).toBeCloseTo(early[kind](kind === 'sma' ? 30 : kind === 'ema' ? 12 : 14).value, 12);
      expect(late[kind](kind === 'sma' ? 30 : kind === 'ema' ? 12 : 14).previous).toBeCloseTo(early[kind](kind === 'sma' ? 30 : kind === 'ema' ? 12 : 14).previous, 12);
    }
    expect(late.donchian(20).previousUpper).toBe(early.donchian(20).previousUpper);
  });

  it('rejects a nonsense period with the value named', () => {
    expect(() => new IndicatorSet(cols).sma(0)).toThrow(/SMA period must be a whole number from 1 to 100000, got 0/);
  });
});

describe('parameter form fields', () => {
  it('come from the zod schema: types, bounds, defaults, enums, descriptions', () => {
    const fields = paramFields(
      z.object({
        period: z.number().int().min(2).max(200).default(14).describe('Look-back'),
        threshold: z.number().positive().default(1.5),
        side: z.enum(['long', 'short', 'both']).default('both'),
        enabled: z.boolean().default(true),
      }),
    );
    expect(fields).toEqual([
      { name: 'period', label: 'Period', type: 'integer', default: 14, min: 2, max: 200, step: 1, description: 'Look-back' },
      { name: 'threshold', label: 'Threshold', type: 'number', default: 1.5, min: 0 },
      { name: 'side', label: 'Side', type: 'enum', options: ['long', 'short', 'both'], default: 'both' },
      { name: 'enabled', label: 'Enabled', type: 'boolean', default: true },
    ]);
    expect(() => paramFields(z.object({ nested: z.object({ a: z.number() }).default({ a: 1 }) }))).toThrow(/parameter "nested" has type "object"/);
  });
});
