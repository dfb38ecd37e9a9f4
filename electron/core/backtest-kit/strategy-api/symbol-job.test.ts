import { describe, expect, it } from 'vitest';
import { signalRowSchema } from '../../../../shared/domain/signals';
import { lifetimeOfStored, signalRowOf, tickResultOf } from './symbol-job';
import type { TickResult } from './backtest-run';

const T0 = Date.UTC(2018, 0, 21);

/** A closed result as the strategy API reports it (the fields signalRowOf reads). */
function closed(minuteEstimatedTime: number): TickResult {
  const pnl = { pnlPercentage: 1.2, priceOpen: 0.1, priceClose: 0.1012, pnlCost: 1.2, pnlEntries: 100 };
  const signal = {
    id: 's1', position: 'long', priceOpen: 0.1, priceTakeProfit: 0.102, priceStopLoss: 0.099,
    originalPriceOpen: 0.1, originalPriceTakeProfit: 0.102, originalPriceStopLoss: 0.099, minuteEstimatedTime,
    cost: 100, multiplier: 1, isolated: false, scheduledAt: T0, pendingAt: T0, partialExecuted: 0, totalEntries: 1, totalPartials: 0,
    pnl, peakProfit: { pnlPercentage: 1.5 }, maxDrawdown: { pnlPercentage: -0.3 },
  };
  return { action: 'closed', symbol: 'ETH/BTC', strategyName: 'x', exchangeName: 'binance', frameName: 'f', signal, pnl, currentPrice: 0.1012, closeReason: 'take_profit', closeTimestamp: T0 + 600_000, createdAt: T0 + 600_000 };
}

describe('a position without a lifetime, stored and printed', () => {
  it('is stored as a row the shared schema accepts, read back as Infinity, and printed as null (JSON of Infinity)', () => {
    const row = signalRowOf(closed(Infinity), { runId: 'r', backtest: true });
    expect(signalRowSchema.safeParse(row).success).toBe(true);
    expect(lifetimeOfStored(row.minuteEstimatedTime)).toBe(Infinity);
    const printed = JSON.parse(JSON.stringify(tickResultOf(row))) as { signal: { minuteEstimatedTime: unknown } };
    expect(printed.signal.minuteEstimatedTime).toBeNull();
  });

  it('leaves a finite lifetime as it is', () => {
    const row = signalRowOf(closed(240), { runId: 'r', backtest: true });
    expect(row.minuteEstimatedTime).toBe(240);
    expect(lifetimeOfStored(row.minuteEstimatedTime)).toBe(240);
    expect((tickResultOf(row).signal as { minuteEstimatedTime: unknown }).minuteEstimatedTime).toBe(240);
  });
});
