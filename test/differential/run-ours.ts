/**
 * Runs a backtest-kit strategy file on OUR engine (the strategy API over candle columns, the code a
 * run worker uses) and prints one JSON line: {"results": [closed and cancelled tick results]}.
 * Same arguments as run-real.mjs:
 *
 *   npx tsx test/differential/run-ours.ts <strategy.mjs> <candles.json> <symbol> <fromISO> <toISO> [strategyName] [paramsJSON] [frameInterval]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { columnsFromCandles } from '../../electron/core/engine/columnar';
import { loadBacktestKitModule } from '../../electron/core/backtest-kit/strategy-api/module-loader';
import { runBacktestKitJob } from '../../electron/core/backtest-kit/strategy-api/symbol-job';
import type { TickResult } from '../../electron/core/backtest-kit/strategy-api/backtest-run';

const [strategyArgFile, candlesFile, symbol, fromIso, toIso, strategyArg, paramsArg, frameIntervalArg] = process.argv.slice(2);
if (!strategyArgFile || !candlesFile || !symbol || !fromIso || !toIso) {
  console.error('usage: run-ours.ts <strategy.mjs> <candles.json> <symbol> <fromISO> <toISO> [strategyName] [paramsJSON] [frameInterval]');
  process.exit(2);
}
const file = resolve(strategyArgFile);
const rows = JSON.parse(readFileSync(candlesFile, 'utf8')) as number[][];
const candles = columnsFromCandles(rows.map(([timestamp, open, high, low, close, volume]) => ({ timestamp: timestamp!, open: open!, high: high!, low: low!, close: close!, volume: volume! })));
const importer = (url: string): Promise<unknown> => import(url);
const module = await loadBacktestKitModule(file, importer);
const strategyName = strategyArg || [...module.registrations.strategies.keys()][0]!;
const results: TickResult[] = [];
const started = performance.now();
await runBacktestKitJob({
  file,
  strategyName,
  symbol,
  exchangeName: 'differential-exchange',
  frameName: 'differential-frame',
  runId: 'differential',
  from: Date.parse(fromIso),
  to: Date.parse(toIso),
  interval: frameIntervalArg || '1m',
  params: paramsArg ? (JSON.parse(paramsArg) as Record<string, unknown>) : {},
  candles,
  importer,
  onResult: (r) => {
    if (r.action === 'closed' || r.action === 'cancelled') results.push(r);
  },
});
const ms = performance.now() - started;
const probe = typeof module.namespace.probe === 'function' ? (module.namespace.probe as () => unknown)() : null;
process.stdout.write(`${JSON.stringify({ ms, results, probe }, (_k, v: unknown) => (v === Infinity ? 'Infinity' : v))}\n`);
