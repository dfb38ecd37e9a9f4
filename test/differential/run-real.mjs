/**
 * Runs a backtest-kit strategy file in the REAL backtest-kit 19.5.0 (installed in bench/backtest-kit)
 * over a shared candle file and prints one JSON line: {"results": [closed and cancelled tick results]}.
 *
 *   node test/differential/run-real.mjs <strategy.mjs> <candles.json> <symbol> <fromISO> <toISO> [strategyName] [paramsJSON]
 *
 * The frame ticks every minute from `from` to the last minute before `to` (our run range, `to`
 * exclusive). The exchange serves the candle file the way our engine's exchange (the candle store)
 * does: a missing minute is a flat zero-volume candle at the previous close, also after the last
 * candle; before the first candle it has nothing (an error). Higher intervals aggregate 1m candles.
 */
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [strategyFile, candlesFile, symbol, fromIso, toIso, strategyArg, paramsArg] = process.argv.slice(2);
if (!strategyFile || !candlesFile || !symbol || !fromIso || !toIso) {
  console.error('usage: run-real.mjs <strategy.mjs> <candles.json> <symbol> <fromISO> <toISO> [strategyName] [paramsJSON]');
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const kitUrl = pathToFileURL(join(root, 'bench/backtest-kit/node_modules/backtest-kit/build/index.mjs')).href;
// The strategy file imports 'backtest-kit'; it lives outside bench/backtest-kit, so resolve it there.
register(
  `data:text/javascript,${encodeURIComponent(`export async function resolve(s, c, n) { return s === 'backtest-kit' ? { url: ${JSON.stringify(kitUrl)}, shortCircuit: true } : n(s, c); }`)}`,
);

const MIN = 60_000;
const STEP = { '1m': 1, '3m': 3, '5m': 5, '15m': 15, '30m': 30, '1h': 60, '2h': 120, '4h': 240, '6h': 360, '8h': 480, '1d': 1440 };
const rows = JSON.parse(readFileSync(candlesFile, 'utf8'));
const base = rows[0][0];
const byMinute = new Map(rows.map((r) => [r[0], r]));
const lastRow = rows[rows.length - 1];
/** The dense minute series: index k is the minute base + k. */
const dense = [];
{
  let prev = rows[0][4];
  for (let t = base; t <= lastRow[0]; t += MIN) {
    const r = byMinute.get(t);
    if (r) {
      dense.push({ timestamp: t, open: r[1], high: r[2], low: r[3], close: r[4], volume: r[5] });
      prev = r[4];
    } else dense.push({ timestamp: t, open: prev, high: prev, low: prev, close: prev, volume: 0 });
  }
}
const minute = (t) => {
  const k = (t - base) / MIN;
  if (k < 0) throw new Error(`no candle at ${new Date(t).toISOString()} (before the first stored candle)`);
  if (k < dense.length) return dense[k];
  const c = lastRow[4];
  return { timestamp: t, open: c, high: c, low: c, close: c, volume: 0 };
};

const bk = await import(kitUrl);
const { addExchangeSchema, addFrameSchema, Backtest, setConfig, PersistCandleAdapter, listenError } = bk;
PersistCandleAdapter.useDummy();
setConfig({ CC_GET_CANDLES_RETRY_DELAY_MS: 0, CC_GET_CANDLES_RETRY_COUNT: 1 });
listenError(() => undefined);

addExchangeSchema({
  exchangeName: 'differential-exchange',
  getCandles: async (_symbol, interval, since, limit) => {
    const step = STEP[interval];
    const out = [];
    for (let i = 0; i < limit; i++) {
      const t = since.getTime() + i * step * MIN;
      if (step === 1) {
        out.push({ ...minute(t), timestamp: t });
        continue;
      }
      let high = -Infinity;
      let low = Infinity;
      let volume = 0;
      for (let j = 0; j < step; j++) {
        const c = minute(t + j * MIN);
        high = Math.max(high, c.high);
        low = Math.min(low, c.low);
        volume += c.volume;
      }
      out.push({ timestamp: t, open: minute(t).open, high, low, close: minute(t + (step - 1) * MIN).close, volume });
    }
    return out;
  },
  formatPrice: async (_s, p) => p.toFixed(8),
  formatQuantity: async (_s, q) => q.toFixed(8),
});
const from = Date.parse(fromIso);
const to = Date.parse(toIso);
addFrameSchema({ frameName: 'differential-frame', interval: '1m', startDate: new Date(from), endDate: new Date(to - MIN) });

const mod = await import(pathToFileURL(resolve(strategyFile)).href);
if (paramsArg && mod.params) Object.assign(mod.params, JSON.parse(paramsArg));
const strategies = await bk.listStrategySchema();
const strategyName = strategyArg || strategies[0]?.strategyName;
if (!strategyName) throw new Error(`${strategyFile} registers no strategy`);

const results = [];
const started = performance.now();
for await (const event of Backtest.run(symbol, { strategyName, exchangeName: 'differential-exchange', frameName: 'differential-frame' })) {
  if (event?.action === 'closed' || event?.action === 'cancelled') results.push(event);
}
const ms = performance.now() - started;
const probe = typeof mod.probe === 'function' ? mod.probe() : null;
// backtest-kit keeps timers alive; exit once the (piped, asynchronous) output is flushed.
process.stdout.write(`${JSON.stringify({ ms, results, probe }, (_k, v) => (v === Infinity ? 'Infinity' : v))}\n`, () => process.exit(0));
