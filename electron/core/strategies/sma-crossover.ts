import { z } from 'zod';
import { defineStrategy } from '../engine/strategy';
import { exitParams, marketSignal } from './exits';

/** Goes long when the fast SMA of closes crosses above the slow one, short when it crosses below. */
export default defineStrategy({
  name: 'sma-crossover',
  description: 'Fast/slow simple moving average crossover with take-profit and stop-loss.',
  interval: '1m',
  params: z
    .object({
      fast: z.number().int().min(1).max(10_000).default(10).describe('Fast SMA period, candles'),
      slow: z.number().int().min(2).max(10_000).default(30).describe('Slow SMA period, candles'),
      allowShort: z.boolean().default(true).describe('Also trade the downward cross'),
      ...exitParams,
    })
    .refine((p) => p.fast < p.slow, { message: 'fast must be shorter than slow', path: ['fast'] }),
  getSignal(ctx) {
    const p = ctx.params;
    const fast = ctx.indicators.sma(p.fast);
    const slow = ctx.indicators.sma(p.slow);
    // NaN compares false, so nothing fires until both averages have a previous value.
    if (fast.previous <= slow.previous && fast.value > slow.value) return marketSignal('long', ctx.price, p, 'SMA cross up');
    if (p.allowShort && fast.previous >= slow.previous && fast.value < slow.value) return marketSignal('short', ctx.price, p, 'SMA cross down');
    return null;
  },
});
