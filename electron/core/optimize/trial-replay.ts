import { INTERVAL_MS } from '../../../shared/candles';
import type { RunStats, SignalRow } from '../../../shared/domain/runs';
import type { ParamValue } from '../../../shared/domain/strategies';
import { runBacktestKitJob, signalRowOf } from '../backtest-kit/strategy-api';
import type { CandleColumns } from '../engine/columnar';
import { lowerBound } from '../engine/columnar';
import { computeStats } from '../engine/statistics';
import { importerFor } from '../engine/strategy-catalog';
import { parseStrategyParams, type StrategyDefinition } from '../engine/strategy';
import { SymbolRunner } from '../engine/symbol-runner';
import type { TrialSpec } from './trial-spec';

/** A view of the candles in [from, to) without copying (typed-array subarrays share the memory). */
export function sliceColumns(cols: CandleColumns, from: number, to: number): CandleColumns {
  const a = lowerBound(cols, from);
  const b = lowerBound(cols, to);
  return {
    length: b - a,
    timestamp: cols.timestamp.subarray(a, b),
    open: cols.open.subarray(a, b),
    high: cols.high.subarray(a, b),
    low: cols.low.subarray(a, b),
    close: cols.close.subarray(a, b),
    volume: cols.volume.subarray(a, b),
  };
}

/** Session/State/Memory of a trial: in memory and thrown away with it (a trial stores statistics only). */
function memoryServices(): SymbolRunnerServices {
  const maps = { session: new Map<string, unknown>(), state: new Map<string, unknown>(), memory: new Map<string, unknown>() };
  const key = (...parts: string[]): string => parts.join('\u0000');
  return {
    session: { get: async <T>() => (maps.session.get('') ?? null) as T | null, set: async (v) => void maps.session.set('', v) },
    state: { get: async <T>(s: string, b: string) => (maps.state.get(key(s, b)) ?? null) as T | null, set: async (s, b, v) => void maps.state.set(key(s, b), v) },
    memory: {
      get: async <T>(s: string, b: string, m: string) => (maps.memory.get(key(s, b, m)) ?? null) as T | null,
      set: async (s, b, m, v) => void maps.memory.set(key(s, b, m), v),
    },
  };
}
type SymbolRunnerServices = ConstructorParameters<typeof SymbolRunner>[1]['services'];

export interface TrialOutcome {
  stats: RunStats | null;
  error?: string;
}

/**
 * One trial: the strategy at one parameter set over each symbol's cached candles, through the
 * engine's own replay (SymbolRunner, or the backtest-kit API for backtest-kit files). Only closed
 * signals are kept, and only until the statistics are computed.
 */
export async function replayTrial(spec: TrialSpec, strategy: StrategyDefinition, columnsOf: (symbol: string) => CandleColumns): Promise<TrialOutcome> {
  let params: Record<string, unknown>;
  try {
    params = parseStrategyParams(strategy, spec.params as Record<string, ParamValue>) as Record<string, unknown>;
  } catch (error) {
    return { stats: null, error: (error as Error).message };
  }
  const rows: SignalRow[] = [];
  for (const symbol of spec.symbols) {
    const all = columnsOf(symbol);
    if (strategy.backtestKit) {
      // The columns are the stored 1m candles (spec.candleInterval) whatever the frame's interval,
      // which is the frame's tick, as in a backtest of the file.
      await runBacktestKitJob({
        file: strategy.backtestKit.file,
        strategyName: strategy.backtestKit.strategyName,
        symbol,
        exchangeName: spec.exchangeName,
        frameName: spec.trialId,
        runId: spec.trialId,
        from: spec.from,
        to: spec.to,
        interval: spec.interval,
        params,
        candles: all,
        importer: importerFor(strategy.backtestKit.file),
        onResult: (result) => {
          if (result.action === 'closed') rows.push(signalRowOf(result, { runId: spec.trialId, backtest: true }));
        },
      });
      continue;
    }
    const cols = sliceColumns(all, spec.from, spec.to);
    const identity = { runId: spec.trialId, symbol, strategyName: spec.strategyName, exchangeName: spec.exchangeName, frameName: spec.trialId, backtest: true };
    const runner = new SymbolRunner(cols, {
      identity,
      strategy,
      params,
      interval: spec.interval,
      // Only closed trades count: no copy of a row for the steps before (reports 'final').
      lifecycle: { costs: spec.costs, intervalMs: INTERVAL_MS[spec.interval], scheduleTimeoutMs: spec.scheduleTimeoutMinutes * 60_000, reports: 'final' },
      services: memoryServices(),
      onSignal: (transition, signal) => {
        // A row reported as final is the listener's own copy.
        if (transition === 'closed') rows.push(signal);
      },
      // An invalid signal is ignored by the run as well; a sweep does not report each one.
      onInvalidSignal: () => undefined,
    });
    const pending = runner.run(0, cols.length);
    if (pending) await pending;
    const open = runner.tracker.current;
    if (open && open.status === 'opened') rows.push({ ...open });
  }
  return { stats: computeStats(rows, spec.account) };
}
