import type { RunStats } from '../../../shared/domain/runs';
import type { ObjectiveMetric, SweepObjective } from '../../../shared/domain/optimize';

/**
 * A metric as a number to maximise, or null when it is undefined for the trial. Sharpe is the
 * per-trade mean/standard deviation (defined from 2 trades); Sortino is backtest-kit's (from 10
 * trades, as the run page shows it); max drawdown counts negatively (smaller is better).
 */
export function metricValue(stats: RunStats, metric: ObjectiveMetric): number | null {
  switch (metric) {
    case 'sharpe':
      return stats.sharpe;
    case 'sortino':
      return stats.sortinoRatio ?? null;
    case 'totalPnlPercent':
      return stats.totalPnlPercent;
    case 'profitFactor':
      return stats.profitFactor;
    case 'winRate':
      return stats.winRate;
    case 'maxDrawdown':
      return -stats.maxDrawdownPercent;
  }
}

/** The trial's score (higher is better), or null: too few trades, or a metric it lacks. */
export function scoreOf(stats: RunStats | null, objective: SweepObjective): number | null {
  if (!stats || stats.trades < objective.minTrades) return null;
  if (objective.metric) {
    const v = metricValue(stats, objective.metric);
    return v === null || !Number.isFinite(v) ? null : v;
  }
  let sum = 0;
  for (const [metric, weight] of Object.entries(objective.weights ?? {}) as Array<[ObjectiveMetric, number]>) {
    const v = metricValue(stats, metric);
    if (v === null || !Number.isFinite(v)) return null;
    sum += weight * v;
  }
  return sum;
}
