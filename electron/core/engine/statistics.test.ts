import { describe, expect, it } from 'vitest';
import type { SignalRow } from '../../../shared/domain/runs';
import { computeStats, equityCurve } from './statistics';

const DAY = 86_400_000;

function trade(i: number, pnlPercent: number, days = 1): SignalRow {
  const openedAt = Date.UTC(2018, 0, 1) + i * days * DAY;
  return {
    signalId: `s${String(i).padStart(3, '0')}`,
    symbol: 'XMR/BTC',
    strategyName: 'x',
    exchangeName: 'binance',
    backtest: true,
    position: 'long',
    status: 'closed',
    priceOpen: 1,
    priceTakeProfit: 2,
    priceStopLoss: 0.5,
    minuteEstimatedTime: 60,
    openedAt,
    closedAt: openedAt + 60 * 60_000,
    priceClose: 1 + pnlPercent / 100,
    pnlPercent,
    closeReason: pnlPercent > 0 ? 'take_profit' : 'stop_loss',
  };
}

describe('run statistics', () => {
  it('compounds the account and never goes below -100% where the sum of trade PnL does', () => {
    const losing = Array.from({ length: 60 }, (_, i) => trade(i, -3.5));
    const s = computeStats(losing);
    expect(s.totalPnlPercent).toBeCloseTo(-210, 9);
    expect(s.maxDrawdownPercent).toBeCloseTo(210, 9);
    expect(s.returnPercent!).toBeCloseTo(((1 - 0.035) ** 60 - 1) * 100, 9);
    expect(s.returnPercent!).toBeGreaterThan(-100);
    expect(s.equityMaxDrawdownPercent!).toBeLessThanOrEqual(100);
    expect(s.finalBalance!).toBeCloseTo(10_000 * (1 - 0.035) ** 60, 6);
    const curve = equityCurve(losing, 0);
    expect(curve.at(-1)!.equity).toBeCloseTo(-210, 9);
    expect(Math.min(...curve.map((p) => p.balance!))).toBeGreaterThan(0);
  });

  it('risks only the position size of the balance on each trade', () => {
    const s = computeStats([trade(0, 10), trade(1, -10)], { startingBalance: 1000, positionSizePercent: 50 });
    expect(s.finalBalance!).toBeCloseTo(1000 * 1.05 * 0.95, 9);
    expect(s.equityMaxDrawdownPercent!).toBeCloseTo(5, 9);
    expect(s.startingBalance).toBe(1000);
  });

  it('computes backtest-kit ratios from 10 trades on, and leaves them empty below', () => {
    expect(computeStats([trade(0, 1), trade(1, -1)]).sortinoRatio).toBeNull();
    const pnls = [2, -1, 3, -1.5, 1, -0.5, 2.5, -2, 1.5, 0.5, -1, 2];
    const trades = pnls.map((p, i) => trade(i, p, 3));
    const s = computeStats(trades);
    const avg = pnls.reduce((a, b) => a + b, 0) / pnls.length;
    const sd = Math.sqrt(pnls.reduce((a, p) => a + (p - avg) ** 2, 0) / (pnls.length - 1));
    expect(s.sharpeRatio!).toBeCloseTo(avg / sd, 12);
    const losses = pnls.filter((p) => p < 0);
    const wins = pnls.filter((p) => p > 0);
    const avgWin = wins.reduce((a, b) => a + b, 0) / wins.length;
    const avgLoss = losses.reduce((a, b) => a + b, 0) / losses.length;
    expect(s.sortinoRatio!).toBeCloseTo(avg / Math.sqrt(losses.reduce((a, r) => a + r * r, 0) / pnls.length), 12);
    expect(s.certaintyRatio!).toBeCloseTo(avgWin / -avgLoss, 12);
    expect(s.expectancy!).toBeCloseTo((wins.length / pnls.length) * avgWin + (losses.length / pnls.length) * avgLoss, 12);
    // 12 trades over 33 days: ~133 a year, so annualised figures exist.
    expect(s.annualizedSharpeRatio!).toBeGreaterThan(s.sharpeRatio!);
    expect(s.recoveryFactor).not.toBeNull();
    expect(s.medianPnlPercent).toBeCloseTo(0.75, 12);
    expect(s.avgDurationMinutes).toBeCloseTo(60, 12);
  });

  it('counts open positions apart from closed trades', () => {
    const open: SignalRow = { ...trade(5, 0), status: 'opened', closedAt: undefined, priceClose: undefined, pnlPercent: undefined, closeReason: undefined };
    const s = computeStats([trade(0, 1), open]);
    expect(s.trades).toBe(1);
    expect(s.openTrades).toBe(1);
  });
});

describe('peak and fall inside trades', () => {
  it('averages the rows that record them and counts the fall as a drawdown trough', () => {
    const a = { ...trade(0, 2), peakProfit: { pnlPercentage: 3 }, maxDrawdown: { pnlPercentage: -4 } };
    const b = { ...trade(1, 1), peakProfit: { pnlPercentage: 1 } };
    const s = computeStats([a, b, trade(2, 1)]);
    expect(s.avgPeakPnlPercent).toBeCloseTo(2, 12);
    expect(s.avgFallPnlPercent).toBeCloseTo(-4, 12);
    // Never closed below the start, but was 4% down inside the first trade.
    expect(s.equityMaxDrawdownPercent!).toBeCloseTo(4, 9);
    expect(computeStats([trade(0, 1)]).avgPeakPnlPercent).toBeNull();
  });
});
