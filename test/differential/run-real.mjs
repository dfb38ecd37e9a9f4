/**
 * Runs a backtest-kit strategy file in the REAL backtest-kit 19.5.0 (installed in bench/backtest-kit)
 * over candle files and prints one JSON line: {"ms", "runs", "results": [closed and cancelled tick
 * results], "probe"}.
 *
 *   node test/differential/run-real.mjs <strategy.mjs> <candles.json[,more.json]> <symbol[,more]> <fromISO> <toISO> [strategyName] [paramsJSON] [frameInterval]
 *
 * Several symbols (one candle file each) run concurrently in this one process, as backtest-kit runs
 * a multi-symbol template. RUN_REAL_REPEAT=n repeats the whole run n times in this process (each on a
 * fresh frame, so no strategy instance carries over) and reports the fastest as `ms`; every
 * repetition includes loading the candle files, and the results are those of the last one.
 *
 * The frame ticks every `frameInterval` (default 1m) from `from` to the last minute before `to` (our
 * run range, `to` exclusive). The exchange serves the candle files the way our engine's exchange (the candle store)
 * does: a missing minute is a flat zero-volume candle at the previous close, also after the last
 * candle; before the first candle it has nothing (an error). Higher intervals aggregate 1m candles.
 */
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [strategyFile, candlesArg, symbolArg, fromIso, toIso, strategyArg, paramsArg, frameIntervalArg] = process.argv.slice(2);
const frameInterval = frameIntervalArg || '1m';
if (!strategyFile || !candlesArg || !symbolArg || !fromIso || !toIso) {
  console.error('usage: run-real.mjs <strategy.mjs> <candles.json[,more.json]> <symbol[,more]> <fromISO> <toISO> [strategyName] [paramsJSON] [frameInterval]');
  process.exit(2);
}
const candleFiles = candlesArg.split(',');
const symbols = symbolArg.split(',');
if (candleFiles.length !== symbols.length) {
  console.error('run-real.mjs: give one candle file per symbol');
  process.exit(2);
}
const repeat = Math.max(1, Number(process.env.RUN_REAL_REPEAT ?? 1));
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const kitUrl = pathToFileURL(join(root, 'bench/backtest-kit/node_modules/backtest-kit/build/index.mjs')).href;
// The strategy file imports 'backtest-kit'; it lives outside bench/backtest-kit, so resolve it there.
register(
  `data:text/javascript,${encodeURIComponent(`export async function resolve(s, c, n) { return s === 'backtest-kit' ? { url: ${JSON.stringify(kitUrl)}, shortCircuit: true } : n(s, c); }`)}`,
);

const MIN = 60_000;
const STEP = { '1m': 1, '3m': 3, '5m': 5, '15m': 15, '30m': 30, '1h': 60, '2h': 120, '4h': 240, '6h': 360, '8h': 480, '1d': 1440 };

/** One symbol's candle file as a dense minute series with the store's gap rule. */
function loadSeries(file) {
  const rows = JSON.parse(readFileSync(file, 'utf8'));
  const base = rows[0][0];
  const last = rows[rows.length - 1];
  const byMinute = new Map(rows.map((r) => [r[0], r]));
  const dense = [];
  let prev = rows[0][4];
  for (let t = base; t <= last[0]; t += MIN) {
    const r = byMinute.get(t);
    if (r) {
      dense.push({ timestamp: t, open: r[1], high: r[2], low: r[3], close: r[4], volume: r[5] });
      prev = r[4];
    } else dense.push({ timestamp: t, open: prev, high: prev, low: prev, close: prev, volume: 0 });
  }
  return (t) => {
    const k = (t - base) / MIN;
    if (k < 0) throw new Error(`no candle at ${new Date(t).toISOString()} (before the first stored candle)`);
    if (k < dense.length) return dense[k];
    const c = last[4];
    return { timestamp: t, open: c, high: c, low: c, close: c, volume: 0 };
  };
}

const bk = await import(kitUrl);
const { addExchangeSchema, addFrameSchema, Backtest, setConfig, PersistCandleAdapter, listenError } = bk;
PersistCandleAdapter.useDummy();
setConfig({ CC_GET_CANDLES_RETRY_DELAY_MS: 0, CC_GET_CANDLES_RETRY_COUNT: 1 });
listenError(() => undefined);

/** The candle series of the current repetition, per symbol (reloaded by every repetition). */
let series = new Map();
addExchangeSchema({
  exchangeName: 'differential-exchange',
  getCandles: async (symbol, interval, since, limit) => {
    const minute = series.get(symbol);
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
for (let k = 1; k <= repeat; k++) addFrameSchema({ frameName: `differential-frame-${k}`, interval: frameInterval, startDate: new Date(from), endDate: new Date(to - MIN) });

const mod = await import(pathToFileURL(resolve(strategyFile)).href);
if (paramsArg && mod.params) Object.assign(mod.params, JSON.parse(paramsArg));
const strategies = await bk.listStrategySchema();
const strategyName = strategyArg || strategies[0]?.strategyName;
if (!strategyName) throw new Error(`${strategyFile} registers no strategy`);

const runs = [];
let results = [];
for (let k = 1; k <= repeat; k++) {
  const started = performance.now();
  series = new Map(symbols.map((s, i) => [s, loadSeries(candleFiles[i])]));
  const perSymbol = await Promise.all(
    symbols.map(async (symbol) => {
      const out = [];
      for await (const event of Backtest.run(symbol, { strategyName, exchangeName: 'differential-exchange', frameName: `differential-frame-${k}` })) {
        if (event?.action === 'closed' || event?.action === 'cancelled') out.push(event);
      }
      return out;
    }),
  );
  runs.push(performance.now() - started);
  results = perSymbol.flat();
}
const probe = typeof mod.probe === 'function' ? mod.probe() : null;
// backtest-kit keeps timers alive; exit once the (piped, asynchronous) output is flushed.
process.stdout.write(`${JSON.stringify({ ms: Math.min(...runs), runs, results, probe }, (_k, v) => (v === Infinity ? 'Infinity' : v))}\n`, () => process.exit(0));
