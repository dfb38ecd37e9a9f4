import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { columnsFromCandles } from './columnar';
import type { SignalTransition } from '../../../shared/domain/runs';
import { defineStrategy, type StrategySignal } from './strategy';
import { SymbolRunner } from './symbol-runner';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const flat = (n: number) => columnsFromCandles(Array.from({ length: n }, (_, i) => ({ timestamp: T0 + i * MIN, open: 100, high: 100.5, low: 99.5, close: 100, volume: 1 })));
const noStore = { get: async () => null, set: async () => undefined };

function runner(strategy: ReturnType<typeof defineStrategy>, n: number, reports?: 'every' | 'final') {
  const transitions: SignalTransition[] = [];
  const invalid: string[] = [];
  const r = new SymbolRunner(flat(n), {
    identity: { runId: 'r', symbol: 'X', strategyName: strategy.name, exchangeName: 'e', frameName: 'f', backtest: true },
    strategy,
    params: {},
    interval: '1m',
    lifecycle: { costs: { feePercent: 0, slippagePercent: 0 }, intervalMs: MIN, scheduleTimeoutMs: 60 * MIN, reports },
    services: { session: noStore, state: noStore, memory: noStore },
    onSignal: (t) => transitions.push(t),
    onInvalidSignal: (e) => invalid.push(e.message),
  });
  return { r, transitions, invalid };
}

describe('symbol runner', () => {
  it('evaluates a 5m strategy on 1m candles only at 5-minute closes', () => {
    const times: number[] = [];
    const s = defineStrategy({ name: 'five', interval: '5m', params: z.object({}), getSignal: (ctx) => (times.push(ctx.time), null) });
    void runner(s, 20).r.run(0, 20);
    expect(times).toEqual([5, 10, 15, 20].map((k) => T0 + k * MIN));
  });

  it('awaits an async strategy and keeps going; an invalid signal is reported and ignored', async () => {
    const long: StrategySignal = { position: 'long', priceTakeProfit: 110, priceStopLoss: 90, minuteEstimatedTime: 2 };
    const s = defineStrategy({
      name: 'async',
      interval: '1m',
      params: z.object({}),
      async getSignal(ctx) {
        if (ctx.index === 3) return { ...long, priceStopLoss: 120 };
        return ctx.index === 5 ? long : null;
      },
    });
    const { r, transitions, invalid } = runner(s, 12);
    await r.run(0, 12);
    expect(invalid).toEqual(['priceStopLoss 120 must be below the entry price 100 for a long']);
    expect(transitions).toEqual(['opened', 'active', 'closed']);
  });

  it('gives the strategy its context: time, price, index, the signal id of the moment, candles and the run\'s services', () => {
    const seen: Array<{ time: number; price: number; index: number; signalId: string; length: number; backtest: boolean; symbol: string }> = [];
    const s = defineStrategy({
      name: 'ctx',
      interval: '1m',
      params: z.object({}),
      getSignal: (ctx) => (seen.push({ time: ctx.time, price: ctx.price, index: ctx.index, signalId: ctx.signalId, length: ctx.candles.length, backtest: ctx.backtest, symbol: ctx.symbol }), null),
    });
    void runner(s, 3).r.run(0, 3);
    expect(seen).toEqual([1, 2, 3].map((k) => ({ time: T0 + k * MIN, price: 100, index: k - 1, signalId: `r:X:${T0 + k * MIN}`, length: 3, backtest: true, symbol: 'X' })));
  });

  it('reports only final transitions when asked (a backtest keeps each signal once)', async () => {
    const long: StrategySignal = { position: 'long', priceTakeProfit: 110, priceStopLoss: 90, minuteEstimatedTime: 2 };
    const s = defineStrategy({ name: 'once', interval: '1m', params: z.object({}), getSignal: (ctx) => (ctx.index === 5 ? long : null) });
    const { r, transitions } = runner(s, 12, 'final');
    await r.run(0, 12);
    expect(transitions).toEqual(['closed']);
  });
});
