/**
 * Runs backtest-kit 19.5.0 on one shared candle file with the SMA(fast/slow) crossover rules of our
 * built-in `sma-crossover` (long on an upward cross, short on a downward one, ±tp/sl % around the
 * entry, same lifetime), and prints one JSON line: {candles, ms, candlesPerSecond, signals}.
 *
 *   node bench/backtest-kit/run-backtest-kit.mjs <candles.json> <cache-off|defaults> [fast slow tp sl lifetime]
 *
 * It runs in a child process of the benchmark because backtest-kit exits the process on a fatal
 * error. Only the run itself is timed (not importing the package).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const [file, setting = 'cache-off', fastArg = '10', slowArg = '30', tpArg = '1', slArg = '1', lifeArg = '240'] = process.argv.slice(2);
if (!file || !['cache-off', 'defaults'].includes(setting)) {
  console.error('usage: run-backtest-kit.mjs <candles.json> <cache-off|defaults> [fast slow tp sl lifetime]');
  process.exit(2);
}
const fast = Number(fastArg);
const slow = Number(slowArg);
const tp = Number(tpArg);
const sl = Number(slArg);
const lifetime = Number(lifeArg);

const bk = await import('backtest-kit');
const { addExchangeSchema, addFrameSchema, addStrategySchema, Backtest, getCandles, setConfig, PersistCandleAdapter, listenError } = bk;

const MIN = 60_000;
const rows = JSON.parse(readFileSync(file, 'utf8'));
const byTime = new Map(rows.map(([timestamp, open, high, low, close, volume]) => [timestamp, { timestamp, open, high, low, close, volume }]));
const firstTs = rows[0][0];
const lastTs = rows[rows.length - 1][0];

if (setting === 'cache-off') {
  PersistCandleAdapter.useDummy();
  setConfig({ CC_GET_CANDLES_RETRY_DELAY_MS: 0 });
}
listenError((error) => {
  console.error(`backtest-kit error: ${error?.stack ?? error}`);
});

const symbol = basename(file).replace(/-.*$/, '').replace('_', '/');

addExchangeSchema({
  exchangeName: 'bench-exchange',
  // backtest-kit requires exactly `limit` consecutive candles from `since`; a gap becomes a flat,
  // zero-volume candle at the previous close (the nearest later close before the first candle).
  getCandles: async (_symbol, _interval, since, limit) => {
    const start = Math.floor(since.getTime() / MIN) * MIN;
    const out = [];
    let last = null;
    for (let i = 0; i < limit; i++) {
      const t = start + i * MIN;
      let c = byTime.get(t);
      if (!c) {
        let price = last?.close;
        if (price === undefined) {
          for (let k = 1; price === undefined && k < 10_000; k++) price = byTime.get(t + k * MIN)?.close ?? byTime.get(t - k * MIN)?.close;
        }
        c = { timestamp: t, open: price, high: price, low: price, close: price, volume: 0 };
      }
      out.push(c);
      last = c;
    }
    return out;
  },
  formatPrice: async (_s, p) => p.toFixed(8),
  formatQuantity: async (_s, q) => q.toFixed(8),
});

// A few candles after the first one, so the strategy's first look-back finds stored candles.
const startDate = new Date(firstTs + (slow + 5) * MIN);
const endDate = new Date(lastTs);
addFrameSchema({ frameName: 'bench-frame', interval: '1m', startDate, endDate });

const mean = (candles, n, end) => {
  let s = 0;
  for (let i = end - n; i < end; i++) s += candles[i].close;
  return s / n;
};
addStrategySchema({
  strategyName: 'bench-sma',
  interval: '1m',
  getSignal: async (sym, _when, currentPrice) => {
    const candles = await getCandles(sym, '1m', slow + 1);
    if (candles.length < slow + 1) return null;
    const n = candles.length;
    const f = mean(candles, fast, n);
    const s = mean(candles, slow, n);
    const pf = mean(candles, fast, n - 1);
    const ps = mean(candles, slow, n - 1);
    const price = currentPrice;
    if (pf <= ps && f > s) {
      return { position: 'long', priceTakeProfit: price * (1 + tp / 100), priceStopLoss: price * (1 - sl / 100), minuteEstimatedTime: lifetime };
    }
    if (pf >= ps && f < s) {
      return { position: 'short', priceTakeProfit: price * (1 - tp / 100), priceStopLoss: price * (1 + sl / 100), minuteEstimatedTime: lifetime };
    }
    return null;
  },
});

const candles = Math.round((endDate.getTime() - startDate.getTime()) / MIN);
let signals = 0;
const started = performance.now();
for await (const event of Backtest.run(symbol, { strategyName: 'bench-sma', exchangeName: 'bench-exchange', frameName: 'bench-frame' })) {
  if (event?.action === 'closed') signals++;
}
const ms = performance.now() - started;
console.log(JSON.stringify({ setting, symbol, candles, ms: Math.round(ms), candlesPerSecond: Math.round((candles / ms) * 1000), signals }));
process.exit(0);
