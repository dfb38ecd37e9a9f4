import type { RunDetail, RunRequest, RunStats, RunSummary, SignalRow } from '../../../shared/domain/runs';
import { createdAtOf } from './signal-lifecycle';
import { computeStats, equityCurve } from './statistics';

/** A run's detail (signals in time order, statistics overall and per symbol, equity curve) from its rows. */
export function runDetailOf(summary: RunSummary, request: RunRequest, rows: readonly SignalRow[]): RunDetail & { stats: RunStats } {
  const signals = [...rows].sort((a, b) => createdAtOf(a) - createdAtOf(b) || a.symbol.localeCompare(b.symbol));
  const statsBySymbol: RunDetail['statsBySymbol'] = {};
  for (const symbol of request.symbols) statsBySymbol[symbol] = computeStats(signals.filter((s) => s.symbol === symbol), request.account);
  return {
    ...summary,
    stats: computeStats(signals, request.account),
    request,
    signals,
    equity: equityCurve(signals, request.from ?? summary.startedAt ?? summary.createdAt, request.account),
    statsBySymbol,
  };
}
