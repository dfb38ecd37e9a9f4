import type { RunDetail, RunRequest, RunStats, RunSummary, SignalRow } from '../../../shared/domain/runs';
import { createdAtOf } from './signal-lifecycle';
import { computeStats, equityCurve } from './statistics';

/** Creation time, then symbol: the order of a run's signal list. */
export function byCreation(a: SignalRow, b: SignalRow): number {
  return createdAtOf(a) - createdAtOf(b) || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
}

/**
 * A run's detail (signals in creation order, statistics overall and per symbol, equity curve) from
 * its rows. The rows are sorted once and grouped by symbol in one pass: a finished backtest can
 * have tens of thousands of them, and this runs on the main thread.
 */
export function runDetailOf(
  summary: RunSummary,
  request: RunRequest,
  rows: readonly SignalRow[],
  /** Per-symbol statistics already computed (by the backtest's workers); the others are computed here. */
  known?: ReadonlyMap<string, RunStats>,
): RunDetail & { stats: RunStats } {
  const signals = [...rows].sort(byCreation);
  const bySymbol = new Map<string, SignalRow[]>(request.symbols.map((s) => [s, []]));
  for (const row of signals) bySymbol.get(row.symbol)?.push(row);
  const stats = computeStats(signals, request.account);
  const statsBySymbol: RunDetail['statsBySymbol'] = {};
  // One symbol: its statistics are the run's (computing them twice would double the cost).
  for (const [symbol, own] of bySymbol) {
    statsBySymbol[symbol] = known?.get(symbol) ?? (bySymbol.size === 1 && own.length === signals.length ? stats : computeStats(own, request.account));
  }
  return {
    ...summary,
    stats,
    request,
    signals,
    equity: equityCurve(signals, request.from ?? summary.startedAt ?? summary.createdAt, request.account),
    statsBySymbol,
  };
}
