import type { RunRecord } from './run-record';

/** How the run manager's log lines and notifications word a run and its return. */

/** "+1.23%" / "-85.52%": the compounded return leads, the sum of trade PnL (which can pass -100%) follows under its own name. */
export function signedPercent(v: number): string {
  return `${v > 0 ? '+' : ''}${v.toFixed(2)}%`;
}

/** "backtest sma-crossover on ETH/BTC 1m (binance, 2018-01-20T04:53..2018-01-30T04:51)" for the log. */
export function describeRun(record: RunRecord): string {
  const r = record.request;
  return `${r.kind} ${r.strategyName} on ${r.symbols.join(', ')} ${r.interval} (${r.exchangeName}, ${record.summary.frameName})`;
}
