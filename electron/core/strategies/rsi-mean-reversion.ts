import { z } from 'zod';
import { defineStrategy } from '../engine/strategy';
import { exitParams, marketSignal } from './exits';

/** Buys when RSI climbs back out of the oversold zone, sells short when it falls back out of overbought. */
export default defineStrategy({
  name: 'rsi-mean-reversion',
  description: "Wilder's RSI leaving the oversold/overbought zone, with take-profit and stop-loss.",
  interval: '1m',
  params: z
    .object({
      period: z.number().int().min(2).max(1000).default(14).describe('RSI period, candles'),
      oversold: z.number().min(1).max(99).default(30).describe('Long when RSI rises back above this'),
      overbought: z.number().min(1).max(99).default(70).describe('Short when RSI falls back below this'),
      allowShort: z.boolean().default(true).describe('Also trade the overbought side'),
      ...exitParams,
    })
    .refine((p) => p.oversold < p.overbought, { message: 'oversold must be below overbought', path: ['oversold'] }),
  getSignal(ctx) {
    const p = ctx.params;
    const rsi = ctx.indicators.rsi(p.period);
    if (rsi.previous < p.oversold && rsi.value >= p.oversold) return marketSignal('long', ctx.price, p, `RSI ${rsi.value.toFixed(1)} left oversold`);
    if (p.allowShort && rsi.previous > p.overbought && rsi.value <= p.overbought) {
      return marketSignal('short', ctx.price, p, `RSI ${rsi.value.toFixed(1)} left overbought`);
    }
    return null;
  },
});
