import { z } from 'zod';
import { defineStrategy } from '../engine/strategy';
import { exitParams, marketSignal } from './exits';

/** Long when the close breaks above the highest high of the previous N candles, short below the lowest low. */
export default defineStrategy({
  name: 'donchian-breakout',
  description: 'Donchian channel breakout (close beyond the previous N-candle high/low) with take-profit and stop-loss.',
  interval: '1m',
  params: z.object({
    period: z.number().int().min(2).max(10_000).default(20).describe('Channel length, candles'),
    allowShort: z.boolean().default(true).describe('Also trade downside breakouts'),
    ...exitParams,
  }),
  getSignal(ctx) {
    const p = ctx.params;
    const channel = ctx.indicators.donchian(p.period);
    if (ctx.price > channel.previousUpper) return marketSignal('long', ctx.price, p, `close above ${p.period}-candle high`);
    if (p.allowShort && ctx.price < channel.previousLower) return marketSignal('short', ctx.price, p, `close below ${p.period}-candle low`);
    return null;
  },
});
