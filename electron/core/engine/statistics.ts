import type { EquityPoint, RunStats, SignalRow } from '../../../shared/domain/runs';

/**
 * Run statistics from closed signals only (cancelled ones never traded). The equity curve adds
 * each trade's PnL % in close order (no compounding, so it is easy to check by hand); the drawdown is
 * measured on that curve in percentage points.
 */
export function closedTrades(signals: readonly SignalRow[]): SignalRow[] {
  return signals
    .filter((s) => s.status === 'closed' && s.pnlPercent !== undefined)
    .sort((a, b) => a.closedAt! - b.closedAt! || (a.signalId < b.signalId ? -1 : a.signalId > b.signalId ? 1 : 0));
}

export function equityCurve(signals: readonly SignalRow[], start: number): EquityPoint[] {
  const points: EquityPoint[] = [{ timestamp: start, equity: 0 }];
  let equity = 0;
  for (const s of closedTrades(signals)) {
    equity += s.pnlPercent!;
    points.push({ timestamp: s.closedAt!, equity });
  }
  return points;
}

export function computeStats(signals: readonly SignalRow[]): RunStats {
  const pnls = closedTrades(signals).map((s) => s.pnlPercent!);
  const trades = pnls.length;
  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let equity = 0;
  let peak = 0;
  let maxDrawdown = 0;
  for (const p of pnls) {
    if (p > 0) {
      wins++;
      grossProfit += p;
    } else {
      grossLoss -= p;
    }
    equity += p;
    peak = Math.max(peak, equity);
    maxDrawdown = Math.max(maxDrawdown, peak - equity);
  }
  const total = pnls.reduce((a, b) => a + b, 0);
  const mean = trades > 0 ? total / trades : null;
  let sharpe: number | null = null;
  if (trades >= 2 && mean !== null) {
    const variance = pnls.reduce((a, p) => a + (p - mean) ** 2, 0) / (trades - 1);
    sharpe = variance > 0 ? mean / Math.sqrt(variance) : null;
  }
  return {
    trades,
    wins,
    losses: trades - wins,
    winRate: trades > 0 ? wins / trades : null,
    totalPnlPercent: total,
    avgPnlPercent: mean,
    maxDrawdownPercent: maxDrawdown,
    sharpe,
    profitFactor: grossLoss > 0 ? grossProfit / grossLoss : null,
  };
}
