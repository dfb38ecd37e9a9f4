import { describe, expect, it } from 'vitest';
import type { Candle } from '../../../shared/candles';
import type { SignalRow, SignalTransition } from '../../../shared/domain/runs';
import { columnsFromCandles } from './columnar';
import { pnlPercent } from './pnl';
import { SignalTracker, type LifecycleConfig } from './signal-lifecycle';
import type { StrategySignal } from './strategy';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const NO_COSTS = { feePercent: 0, slippagePercent: 0 };

/** Candles from [open, high, low, close] tuples, one minute apart unless a timestamp is given. */
function candles(rows: Array<[number, number, number, number] | [number, number, number, number, number]>): Candle[] {
  return rows.map((r, i) => ({ timestamp: r[4] ?? T0 + i * MIN, open: r[0], high: r[1], low: r[2], close: r[3], volume: 1 }));
}

function track(rows: Candle[], signal: StrategySignal, config: Partial<LifecycleConfig> = {}) {
  const events: Array<{ transition: SignalTransition; row: SignalRow }> = [];
  const tracker = new SignalTracker(
    { runId: 'r1', symbol: 'TEST', strategyName: 's', exchangeName: 'x', frameName: 'f', backtest: true },
    { costs: NO_COSTS, intervalMs: MIN, scheduleTimeoutMs: 120 * MIN, ...config },
    (transition, row) => events.push({ transition, row }),
  );
  const cols = columnsFromCandles(rows);
  // The signal is computed at the close of candle 0, then candles 1.. drive it.
  tracker.submit(signal, rows[0]!.timestamp + MIN, rows[0]!.close);
  for (let k = 1; k < rows.length && tracker.current; k++) tracker.onCandle(cols, k);
  const last = events[events.length - 1]!;
  return { events, transitions: events.map((e) => e.transition), final: last.row, tracker };
}

const long = (over: Partial<StrategySignal> = {}): StrategySignal => ({
  position: 'long',
  priceTakeProfit: 110,
  priceStopLoss: 95,
  minuteEstimatedTime: 60,
  ...over,
});

describe('signal lifecycle', () => {
  it('opens at market, becomes active, closes at take-profit', () => {
    const r = track(candles([[100, 100, 100, 100], [100, 105, 99, 104], [104, 111, 103, 108]]), long());
    expect(r.transitions).toEqual(['opened', 'active', 'closed']);
    expect(r.final).toMatchObject({ status: 'closed', closeReason: 'take_profit', priceOpen: 100, priceClose: 110, closedAt: T0 + 3 * MIN });
    expect(r.final.pnlPercent).toBeCloseTo(10, 10);
  });

  it('closes at stop-loss', () => {
    const r = track(candles([[100, 100, 100, 100], [100, 101, 94, 96]]), long());
    expect(r.final).toMatchObject({ closeReason: 'stop_loss', priceClose: 95 });
    expect(r.final.pnlPercent).toBeCloseTo(-5, 10);
  });

  it('short: take-profit below, stop-loss above', () => {
    const tp = track(candles([[100, 100, 100, 100], [100, 101, 89, 90]]), { position: 'short', priceTakeProfit: 90, priceStopLoss: 105, minuteEstimatedTime: 60 });
    expect(tp.final).toMatchObject({ closeReason: 'take_profit', priceClose: 90 });
    expect(tp.final.pnlPercent).toBeCloseTo(((100 - 90) / 90) * 100, 10);
    const sl = track(candles([[100, 100, 100, 100], [100, 106, 99, 104]]), { position: 'short', priceTakeProfit: 90, priceStopLoss: 105, minuteEstimatedTime: 60 });
    expect(sl.final).toMatchObject({ closeReason: 'stop_loss', priceClose: 105 });
  });

  it('closes with time_expired at the close of the candle where the lifetime ends', () => {
    const r = track(candles([[100, 100, 100, 100], [100, 101, 99, 100], [100, 101, 99, 101], [101, 102, 100, 102]]), long({ minuteEstimatedTime: 2 }));
    expect(r.final).toMatchObject({ closeReason: 'time_expired', priceClose: 101, closedAt: T0 + 3 * MIN });
  });

  it('take-profit and stop-loss inside one candle: stop-loss first', () => {
    const r = track(candles([[100, 100, 100, 100], [100, 120, 90, 100]]), long());
    expect(r.final).toMatchObject({ closeReason: 'stop_loss', priceClose: 95 });
  });

  it('a candle opening beyond the stop-loss fills at its open, stamped at its open time', () => {
    const r = track(candles([[100, 100, 100, 100], [90, 92, 89, 91]]), long());
    expect(r.final).toMatchObject({ closeReason: 'stop_loss', priceClose: 90, closedAt: T0 + MIN });
  });

  it('scheduled, then opened when the price reaches priceOpen, then closed', () => {
    const r = track(
      candles([[100, 100, 100, 100], [100, 101, 99, 100], [99, 99, 97, 98], [98, 106, 98, 105]]),
      long({ priceOpen: 98, priceTakeProfit: 105, priceStopLoss: 94 }),
    );
    expect(r.transitions).toEqual(['scheduled', 'opened', 'active', 'closed']);
    expect(r.final).toMatchObject({ priceOpen: 98, openedAt: T0 + 3 * MIN, closeReason: 'take_profit', scheduledAt: T0 + MIN });
  });

  it('scheduled then cancelled by timeout', () => {
    const r = track(
      candles([[100, 100, 100, 100], [100, 101, 99, 100], [100, 101, 99, 100], [100, 101, 99, 100]]),
      long({ priceOpen: 98, priceTakeProfit: 105, priceStopLoss: 94 }),
      { scheduleTimeoutMs: 2 * MIN },
    );
    expect(r.transitions).toEqual(['scheduled', 'cancelled']);
    expect(r.final).toMatchObject({ status: 'cancelled', cancelReason: 'timeout', closedAt: T0 + 3 * MIN });
    expect(r.final.pnlPercent).toBeUndefined();
  });

  it('scheduled then cancelled with price_reject when the stop-loss is touched first', () => {
    const r = track(candles([[100, 100, 100, 100], [100, 100, 93, 95]]), long({ priceOpen: 98, priceTakeProfit: 105, priceStopLoss: 94 }));
    expect(r.final).toMatchObject({ status: 'cancelled', cancelReason: 'price_reject' });
  });

  it('scheduled then cancelled by the user', () => {
    const r = track(candles([[100, 100, 100, 100]]), long({ priceOpen: 98, priceTakeProfit: 105, priceStopLoss: 94 }));
    expect(r.tracker.cancel(T0 + 5 * MIN)).toBe(true);
    expect(r.events.at(-1)!.row).toMatchObject({ status: 'cancelled', cancelReason: 'user', closedAt: T0 + 5 * MIN });
  });

  it('a gap past the lifetime closes at the first open after the gap, never at an invented price', () => {
    const r = track(
      candles([
        [100, 100, 100, 100, T0],
        [100, 101, 99, 100, T0 + MIN],
        [103, 104, 102, 103, T0 + 30 * MIN], // 28 minutes missing
      ]),
      long({ minuteEstimatedTime: 10 }),
    );
    expect(r.final).toMatchObject({ closeReason: 'time_expired', priceClose: 103, closedAt: T0 + 30 * MIN });
  });

  it('a gap inside the lifetime just jumps: the next candle is checked as usual', () => {
    const r = track(candles([[100, 100, 100, 100, T0], [100, 101, 99, 100, T0 + MIN], [100, 111, 99, 109, T0 + 10 * MIN]]), long());
    expect(r.final).toMatchObject({ closeReason: 'take_profit', closedAt: T0 + 11 * MIN });
  });

  it('fees and slippage reduce the PnL on both sides', () => {
    const costs = { feePercent: 0.1, slippagePercent: 0.1 };
    const r = track(candles([[100, 100, 100, 100], [100, 111, 99, 110]]), long(), { costs });
    const entry = 100 * 1.001;
    const exit = 110 * 0.999;
    expect(r.final.pnlPercent).toBeCloseTo(((exit * 0.999) / (entry * 1.001) - 1) * 100, 10);
    expect(r.final.pnlPercent).toBeLessThan(10 - 0.39);
    expect(pnlPercent('short', 100, 90, costs)).toBeLessThan(((100 - 90) / 90) * 100);
  });

  it('rejects inconsistent prices with a message naming the field', () => {
    expect(() => track(candles([[100, 100, 100, 100]]), long({ priceTakeProfit: 99 }))).toThrow(/priceTakeProfit 99 must be above/);
    expect(() => track(candles([[100, 100, 100, 100]]), long({ priceStopLoss: 101 }))).toThrow(/priceStopLoss 101 must be below/);
    expect(() => track(candles([[100, 100, 100, 100]]), long({ minuteEstimatedTime: -1 }))).toThrow(/minuteEstimatedTime/);
  });
});

describe('peak profit and max drawdown (backtest-kit\'s avgPeakPnl / avgFallPnl inputs)', () => {
  const COSTS = { feePercent: 0.1, slippagePercent: 0.1 };

  it('marks each candle close the position stays open through, then the exit price', () => {
    // Closes 103 (best mark), 97 (worst mark), 101, then take-profit at 110: the exit is the peak.
    const r = track(candles([[100, 100, 100, 100], [100, 104, 99, 103], [103, 103, 96, 97], [97, 102, 97, 101], [101, 111, 100, 108]]), long(), { costs: COSTS });
    const f = r.final;
    expect(f.closeReason).toBe('take_profit');
    expect(f.peakProfit).toMatchObject({ price: 110, timestamp: T0 + 5 * MIN });
    expect(f.peakProfit!.pnlPercentage).toBeCloseTo(pnlPercent('long', 100, 110, COSTS), 12);
    expect(f.maxDrawdown).toMatchObject({ price: 97, timestamp: T0 + 3 * MIN });
    expect(f.maxDrawdown!.pnlPercentage).toBeCloseTo(pnlPercent('long', 100, 97, COSTS), 12);
  });

  it('a trade that never shows a real profit keeps a zero peak; a stop-loss exit is its fall', () => {
    // Close 100.1 is above the entry but below the costs (PnL < 0): not a peak.
    const r = track(candles([[100, 100, 100, 100], [100, 100.2, 99.9, 100.1], [100.1, 100.1, 94, 95]]), long(), { costs: COSTS });
    expect(r.final.closeReason).toBe('stop_loss');
    expect(r.final.peakProfit).toEqual({ pnlPercentage: 0, price: 100, timestamp: T0 + MIN });
    expect(r.final.maxDrawdown).toMatchObject({ price: 95, timestamp: T0 + 3 * MIN });
    expect(r.final.maxDrawdown!.pnlPercentage).toBeCloseTo(pnlPercent('long', 100, 95, COSTS), 12);
  });

  it('the fall starts at the entry: its costs are the first loss', () => {
    // Closes only above the entry, then take-profit: the worst moment is the entry itself.
    const r = track(candles([[100, 100, 100, 100], [100, 103, 100, 102], [102, 111, 101, 109]]), long(), { costs: COSTS });
    expect(r.final.maxDrawdown).toMatchObject({ price: 100, timestamp: T0 + MIN });
    expect(r.final.maxDrawdown!.pnlPercentage).toBeCloseTo(pnlPercent('long', 100, 100, COSTS), 12);
    expect(r.final.maxDrawdown!.pnlPercentage).toBeLessThan(0);
  });

  it('short: a falling price is the peak, a rising one the fall', () => {
    const r = track(
      candles([[100, 100, 100, 100], [100, 101, 96, 97], [97, 104, 97, 103], [103, 104, 89, 92]]),
      { position: 'short', priceTakeProfit: 90, priceStopLoss: 105, minuteEstimatedTime: 60 },
      { costs: NO_COSTS },
    );
    expect(r.final.closeReason).toBe('take_profit');
    expect(r.final.peakProfit).toMatchObject({ price: 90 });
    expect(r.final.maxDrawdown).toMatchObject({ price: 103, timestamp: T0 + 3 * MIN });
    expect(r.final.maxDrawdown!.pnlPercentage).toBeCloseTo(pnlPercent('short', 100, 103, NO_COSTS), 12);
  });

  it('a position restored from a checkpoint re-reads its earlier marks: the result equals an uninterrupted run', () => {
    // Worst close (96) before the checkpoint, the exit after it.
    const rows = candles([[100, 100, 100, 100], [100, 101, 97, 98], [98, 99, 95.5, 96], [96, 99, 96, 98.5], [98.5, 104, 98, 103], [103, 111, 102, 109]]);
    const whole = track(rows, long(), { costs: COSTS });
    const cols = columnsFromCandles(rows);
    const identity = { runId: 'r1', symbol: 'TEST', strategyName: 's', exchangeName: 'x', frameName: 'f', backtest: false };
    const config = { costs: COSTS, intervalMs: MIN, scheduleTimeoutMs: 120 * MIN };
    const before = new SignalTracker(identity, config, () => undefined);
    before.submit(long(), rows[0]!.timestamp + MIN, rows[0]!.close);
    for (let k = 1; k <= 3; k++) before.onCandle(cols, k);
    // The app restarts: a new tracker gets the open row (as Storage kept it) and the candles after the cursor.
    let final: SignalRow | undefined;
    const resumed = new SignalTracker(identity, config, (t, row) => {
      if (t === 'closed') final = row;
    });
    resumed.restore({ ...before.current! }, true);
    for (let k = 4; k < rows.length && resumed.current; k++) resumed.onCandle(cols, k);
    expect(final!.maxDrawdown).toEqual(whole.final.maxDrawdown);
    expect(final!.peakProfit).toEqual(whole.final.peakProfit);
    expect(final!.maxDrawdown).toMatchObject({ price: 96, timestamp: T0 + 3 * MIN });
  });

  it('a scheduled signal measures from its activation; cancelled ones record nothing', () => {
    const opened = track(candles([[100, 100, 100, 100], [100, 100, 97, 98], [98, 99, 96, 96.5], [96.5, 111, 96, 108]]), long({ priceOpen: 98 }));
    expect(opened.final.openedAt).toBe(T0 + 2 * MIN);
    expect(opened.final.maxDrawdown).toMatchObject({ price: 96.5, timestamp: T0 + 3 * MIN });
    const cancelled = track(candles([[100, 100, 100, 100], [100, 100, 94, 95]]), long({ priceOpen: 98 }));
    expect(cancelled.final.status).toBe('cancelled');
    expect(cancelled.final.peakProfit).toBeUndefined();
    expect(cancelled.final.maxDrawdown).toBeUndefined();
  });
});
