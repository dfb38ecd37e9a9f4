/**
 * A real backtest-kit 19.5.0 bot (persisting through @backtest-kit/mongo 19.5.0) with positions
 * that have no lifetime (`minuteEstimatedTime: Infinity`, allowed once CC_MAX_SIGNAL_LIFETIME_MINUTES
 * is Infinity), for test/interop/lifetime.test.ts:
 *
 *   node lifetime-bot.mjs write               a backtest whose long position closes at take profit,
 *                                              then one live tick that opens a long position and stops
 *   node lifetime-bot.mjs read <request.json>  reads signal rows through backtest-kit's own API
 *
 * The packages are loaded from bench/backtest-kit/node_modules (their ESM builds, the ones
 * @backtest-kit/mongo itself imports, so there is one backtest-kit in the process). Settings come
 * from the environment: CC_MONGO_CONNECTION_STRING, CC_REDIS_HOST, CC_REDIS_PORT. The last stdout
 * line is one JSON object; non-finite numbers are written as {"$nonFinite": "Infinity"} since JSON
 * has no Infinity (and JSON's null is exactly what must not be confused with it here).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BOT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'backtest-kit');

/** The URL of a fixture package's ESM entry (its `exports.import`, else its main file). */
function esmEntry(name) {
  const dir = join(BOT_DIR, 'node_modules', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const entry = (typeof pkg.exports === 'object' && pkg.exports?.import) || pkg.main || 'index.js';
  return pathToFileURL(join(dir, entry)).href;
}

const [mode, file] = process.argv.slice(2);
if (!['write', 'read'].includes(mode ?? '') || (mode === 'read' && !file)) {
  console.error('usage: lifetime-bot.mjs write | read <request.json>');
  process.exit(2);
}

const bk = await import(esmEntry('backtest-kit'));
const mongo = await import(esmEntry('@backtest-kit/mongo'));
const { default: mongoose } = await import(esmEntry('mongoose'));
const { addExchangeSchema, addFrameSchema, addStrategySchema, Backtest, Live, listenError, listenSignalLive, Storage, Recent, StorageBacktest, RecentBacktest, setConfig } = bk;

const errors = [];
mongo.setup({
  CC_MONGO_CONNECTION_STRING: process.env.CC_MONGO_CONNECTION_STRING,
  CC_REDIS_HOST: process.env.CC_REDIS_HOST,
  CC_REDIS_PORT: Number(process.env.CC_REDIS_PORT),
});
mongo.setLogger({ log() {}, debug() {}, info() {}, warn() {} });
bk.setLogger({ log() {}, debug() {}, info() {}, warn() {} });
// Connect, and let every collection's indexes be built before the first write (a write racing an
// index build fails on mongo-java-server).
await mongo.waitForInit();
await Promise.all(mongoose.modelNames().map((name) => mongoose.model(name).init()));

// Signal rows go to MongoDB in both modes (backtest keeps them in memory by default).
for (const adapter of [StorageBacktest, RecentBacktest]) adapter.usePersist();
for (const feature of [Storage, Recent]) feature.enable();
listenError((error) => {
  errors.push(String(error?.stack ?? error));
  console.error(`backtest-kit error: ${error?.stack ?? error}`);
});

/** JSON with non-finite numbers kept recognisable. */
function finish(result) {
  console.log(JSON.stringify({ ...result, errors }, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? { $nonFinite: String(value) } : value)));
  // The mongo and redis clients keep the event loop alive.
  process.exit(0);
}

if (mode === 'read') {
  const request = JSON.parse(readFileSync(file, 'utf8'));
  const out = { signals: {}, storageLive: await Storage.listSignalLive() };
  for (const id of request.signalIds) out.signals[id] = await Storage.findSignalById(id).catch((e) => ({ error: String(e?.message ?? e) }));
  if (request.recent) {
    const r = request.recent;
    out.recent = await Recent.getLatestSignal(r.symbol, { strategyName: r.strategyName, exchangeName: r.exchangeName, frameName: r.frameName }, new Date());
  }
  finish(out);
}

// --- write ---------------------------------------------------------------------------------------

const MIN = 60_000;
const EXCHANGE = 'lifetime-exchange';
const STRATEGY = 'lifetime-strategy';
const FRAME = 'lifetime-frame';
/** Backtest: the price rises 0.2% a minute from the frame's start, so take profit (+2%) is hit. */
const BACKTEST_SYMBOL = 'NOLIFE-BT';
/** Live: a flat price, so the position stays open. */
const LIVE_SYMBOL = 'NOLIFE-LIVE';
const START = Date.UTC(2025, 0, 6, 0, 0);

// What a strategy without lifetimes sets: without it backtest-kit refuses an Infinity lifetime.
setConfig({ CC_MAX_SIGNAL_LIFETIME_MINUTES: Infinity });

const priceAt = (symbol, t) => (symbol === BACKTEST_SYMBOL ? 100 * (1 + 0.002 * Math.max(0, (t - START) / MIN)) : 100);
addExchangeSchema({
  exchangeName: EXCHANGE,
  getCandles: async (symbol, interval, since, limit) => {
    if (interval !== '1m') throw new Error(`the lifetime exchange serves 1m candles only, asked ${interval}`);
    const first = Math.floor(since.getTime() / MIN) * MIN;
    return Array.from({ length: limit }, (_, i) => {
      const t = first + i * MIN;
      const open = priceAt(symbol, t - MIN);
      const close = priceAt(symbol, t);
      return { timestamp: t, open, high: Math.max(open, close) * 1.0001, low: Math.min(open, close) * 0.9999, close, volume: 1 };
    });
  },
  formatPrice: async (_s, p) => p.toFixed(8),
  formatQuantity: async (_s, q) => q.toFixed(8),
});
addFrameSchema({ frameName: FRAME, interval: '1m', startDate: new Date(START), endDate: new Date(START + 60 * MIN) });

const asked = new Set();
addStrategySchema({
  strategyName: STRATEGY,
  interval: '1m',
  // One position per symbol, without a lifetime.
  getSignal: async (symbol, _when, currentPrice) => {
    if (asked.has(symbol)) return null;
    asked.add(symbol);
    return { position: 'long', priceTakeProfit: currentPrice * 1.02, priceStopLoss: currentPrice * 0.98, minuteEstimatedTime: Infinity, note: 'no lifetime' };
  },
});

let backtestClosed;
for await (const event of Backtest.run(BACKTEST_SYMBOL, { strategyName: STRATEGY, exchangeName: EXCHANGE, frameName: FRAME })) {
  if (event?.action === 'closed') backtestClosed = { signalId: event.signal.id, closeReason: event.closeReason, minuteEstimatedTime: event.signal.minuteEstimatedTime };
}

const liveOpened = new Promise((done) => {
  const stop = listenSignalLive((event) => {
    if (event?.action === 'opened' && event.symbol === LIVE_SYMBOL) {
      stop();
      done({ signalId: event.signal.id, minuteEstimatedTime: event.signal.minuteEstimatedTime });
    }
  });
});
Live.background(LIVE_SYMBOL, { strategyName: STRATEGY, exchangeName: EXCHANGE });
const liveOpen = await Promise.race([liveOpened, new Promise((done) => setTimeout(() => done('timeout'), Number(process.env.INTEROP_LIVE_TIMEOUT_MS ?? 60_000)))]);
await Live.stop(LIVE_SYMBOL, { strategyName: STRATEGY, exchangeName: EXCHANGE });

/** The persist writes follow the events: wait until the bot's rows are in its database. */
async function persisted(collection, filter, ms = 10_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if ((await mongoose.connection.collection(collection).countDocuments(filter)) > 0) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
const stored = {
  backtest: backtestClosed ? await persisted('storage-items', { signalId: backtestClosed.signalId, backtest: true }) : false,
  live: liveOpen === 'timeout' ? false : await persisted('storage-items', { signalId: liveOpen.signalId, 'payload.status': 'opened' }),
  // Recent is written on the active pings of an open position: the backtest's are certain, a live one's wait for the next minute.
  recent: await persisted('recent-items', { symbol: BACKTEST_SYMBOL, backtest: true }),
};

finish({ strategyName: STRATEGY, exchangeName: EXCHANGE, frameName: FRAME, backtestSymbol: BACKTEST_SYMBOL, liveSymbol: LIVE_SYMBOL, backtestClosed, liveOpen, stored });
