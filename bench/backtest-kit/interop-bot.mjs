/**
 * A scripted backtest-kit 19.5.0 bot persisting through @backtest-kit/mongo 19.5.0, for the interop
 * tests in test/interop. Run from this folder so its node_modules resolve:
 *
 *   node interop-bot.mjs write <candles.json>    backtest over the shared candles, then a short live run
 *                                                (a rally position that reaches a partial-profit level and
 *                                                breakeven, then one tick of an opened and a scheduled signal)
 *   node interop-bot.mjs read <request.json>     reads through backtest-kit's own API, prints JSON
 *                                                (and re-persists the live notifications, as a bot does)
 *
 * Settings come from the environment, as @backtest-kit/mongo reads them: CC_MONGO_CONNECTION_STRING,
 * CC_REDIS_HOST, CC_REDIS_PORT. The last stdout line is one JSON object (the result).
 * It runs as a child process because backtest-kit may exit the process on a fatal error.
 */
import { readFileSync } from 'node:fs';

const [mode, file] = process.argv.slice(2);
if (!['write', 'read'].includes(mode ?? '') || !file) {
  console.error('usage: interop-bot.mjs write <candles.json> | read <request.json>');
  process.exit(2);
}

const bk = await import('backtest-kit');
const mongo = await import('@backtest-kit/mongo');
const {
  addExchangeSchema, addFrameSchema, addRiskSchema, addStrategySchema, Backtest, Live, listenError, listenSignalLive, listenDoneLive,
  Storage, Notification, Recent, State, Memory, Session, NotificationLive, NotificationBacktest, StorageBacktest,
  RecentBacktest, StateBacktest, MemoryBacktest, SessionBacktest, Log, Cache, Interval,
  listenPartialProfitAvailable, listenBreakevenAvailable,
} = bk;

const errors = [];
mongo.setup({
  CC_MONGO_CONNECTION_STRING: process.env.CC_MONGO_CONNECTION_STRING,
  CC_REDIS_HOST: process.env.CC_REDIS_HOST,
  CC_REDIS_PORT: Number(process.env.CC_REDIS_PORT),
});
mongo.setLogger({ log() {}, debug() {}, info() {}, warn() {} });
// Connect MongoDB and Redis, and let mongoose build every collection's indexes before the first
// write: a write racing an index build fails on mongo-java-server ("Unknown error: null").
await mongo.waitForInit();
const { default: mongoose } = await import('mongoose');
await Promise.all(mongoose.modelNames().map((name) => mongoose.model(name).init()));

/**
 * backtest-kit's candle cache error handlers expect a newer functools-kit than the one this fixture
 * can install, so a failed cache write ends the process instead of being logged. @backtest-kit/mongo
 * writes each candle with a plain upsert: two concurrent upserts of the same new candle can both
 * insert, and the loser gets E11000. Retried here (the winner's candle is then found); any other
 * error is reported and rethrown.
 */
const MongoCandleInstance = bk.PersistCandleAdapter.PersistCandleInstanceCtor;
bk.PersistCandleAdapter.usePersistCandleAdapter(
  class extends MongoCandleInstance {
    async writeCandlesData(candles) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await super.writeCandlesData(candles);
        } catch (error) {
          if (attempt < 5 && /E11000/.test(String(error?.message))) continue;
          errors.push(`candle cache write: ${error?.stack ?? error}`);
          console.error(`candle cache write failed: ${error?.stack ?? error}`);
          throw error;
        }
      }
    }
  },
);
bk.setLogger({ log() {}, debug() {}, info() {}, warn() {} });

// Everything a bot can persist goes to MongoDB, in both modes (19.5.0 keeps several in memory by default).
for (const adapter of [NotificationLive, NotificationBacktest, StorageBacktest, RecentBacktest, StateBacktest, MemoryBacktest, SessionBacktest, Log]) adapter.usePersist();
for (const feature of [Storage, Notification, Recent, State, Memory]) feature.enable();

listenError((error) => {
  errors.push(String(error?.stack ?? error));
  console.error(`backtest-kit error: ${error?.stack ?? error}`);
});

const MIN = 60_000;
const EXCHANGE = 'interop-exchange';
const STRATEGY = 'interop-strategy';
const FRAME = 'interop-frame';
const SYMBOL = 'ADABTC';
/** A second live symbol whose signal waits for its entry price (schedule-items). */
const SCHEDULED_SYMBOL = 'ADABTC-WAIT';
const RISK = 'interop-risk';
const BUCKET = 'interop-bucket';
const MEMORY_BUCKET = 'interop-memory';
/**
 * A third live symbol whose price rises 2% a minute from just before the live run: its position
 * reaches a partial-profit level and the breakeven threshold on its second tick (partial-items,
 * breakeven-items; backtest-kit persists those only live).
 */
const RALLY_SYMBOL = 'ADABTC-RALLY';
const RALLY_STEP = 0.02;

function finish(result) {
  console.log(JSON.stringify({ ...result, errors }));
  // The mongo and redis clients keep the event loop alive.
  process.exit(0);
}

if (mode === 'read') {
  const request = JSON.parse(readFileSync(file, 'utf8'));
  const when = new Date();
  const out = {};
  out.notificationsLive = await Notification.getData(false);
  out.notificationsBacktest = await Notification.getData(true);
  out.storageLive = await Storage.listSignalLive();
  out.storageBacktest = await Storage.listSignalBacktest();
  out.log = await Log.getList();
  out.signal = request.signalId ? await Storage.findSignalById(request.signalId) : null;
  if (request.session) {
    const s = request.session;
    out.session = await Session.getData(s.symbol, { strategyName: s.strategyName, exchangeName: s.exchangeName, frameName: s.frameName }, s.backtest, when);
  }
  if (request.state) {
    out.state = await State.getState({ signalId: request.state.signalId, bucketName: request.state.bucketName, initialValue: { missing: true }, backtest: request.state.backtest, when });
  }
  if (request.memory) {
    const m = request.memory;
    out.memory = await Memory.readMemory({ memoryId: m.memoryId, signalId: m.signalId, bucketName: m.bucketName, backtest: m.backtest, when }).catch((e) => ({ error: String(e?.message ?? e) }));
    out.memoryList = await Memory.listMemory({ signalId: m.signalId, bucketName: m.bucketName, backtest: m.backtest, when });
  }
  if (request.recent) {
    const r = request.recent;
    out.recent = await Recent.getLatestSignal(r.symbol, { strategyName: r.strategyName, exchangeName: r.exchangeName, frameName: r.frameName }, when);
  }
  if (request.rewriteNotifications) {
    // What a bot does on every notification it persists: @backtest-kit/mongo upserts each one
    // ($set payload) — here the monitor's, re-written as read, plus one new notification of the bot's.
    const own = { ...out.notificationsLive[0], id: request.rewriteNotifications.newId, type: 'signal.info', note: 'written by the bot' };
    await bk.PersistNotificationAdapter.writeNotificationData([...out.notificationsLive, own], false);
  }
  finish(out);
}

// --- write: a backtest, then a short live run ---------------------------------------------------

const rows = JSON.parse(readFileSync(file, 'utf8'));
const byTime = new Map(rows.map(([timestamp, open, high, low, close, volume]) => [timestamp, { timestamp, open, high, low, close, volume }]));
const firstTs = rows[0][0];

/**
 * Historical minutes are read as stored (a gap repeats the previous close with zero volume); minutes
 * past the data (the live run) replay the data cyclically with their own timestamps.
 */
function candleAt(t) {
  const stored = byTime.get(t);
  if (stored) return stored;
  const span = rows.length;
  const index = ((Math.floor((t - firstTs) / MIN) % span) + span) % span;
  const [, open, high, low, close, volume] = rows[index];
  return { timestamp: t, open, high, low, close, volume };
}

/** Set when the live part starts: the rally's price is flat before this minute and rises after it. */
let rallyFrom = Number.POSITIVE_INFINITY;
const rallyPrice = (t) => rows[0][4] * (1 + RALLY_STEP * Math.max(0, (t - rallyFrom) / MIN));
function rallyCandleAt(t) {
  const open = rallyPrice(t - MIN);
  const close = rallyPrice(t);
  return { timestamp: t, open, high: close, low: open, close, volume: 1 };
}

addExchangeSchema({
  exchangeName: EXCHANGE,
  getCandles: async (symbol, interval, since, limit) => {
    if (interval !== '1m') throw new Error(`interop exchange serves 1m candles only, asked ${interval}`);
    const start = Math.floor(since.getTime() / MIN) * MIN;
    const at = symbol === RALLY_SYMBOL ? rallyCandleAt : candleAt;
    return Array.from({ length: limit }, (_, i) => at(start + i * MIN));
  },
  formatPrice: async (_s, p) => p.toFixed(10),
  formatQuantity: async (_s, q) => q.toFixed(8),
});

const startDate = new Date(firstTs + 30 * MIN);
const endDate = new Date(firstTs + 30 * MIN + Number(process.env.INTEROP_BACKTEST_MINUTES ?? 240) * MIN);
addFrameSchema({ frameName: FRAME, interval: '1m', startDate, endDate });

const pending = [];
let opened = 0;

/** Session, state and memory writes for an opened signal, through backtest-kit's own adapters. */
async function rememberOpen(symbol, data, currentPrice, when, backtest) {
  opened++;
  const frameName = backtest ? FRAME : '';
  Log.info('interop open', { signalId: data.id, price: currentPrice, backtest });
  if (opened === 1) Log.warn('interop first open', 'two', 2);
  await Session.setData(symbol, { opened, lastPrice: currentPrice, lastSignalId: data.id }, { strategyName: STRATEGY, exchangeName: EXCHANGE, frameName }, backtest, when);
  await State.setState({ opens: opened, price: currentPrice }, { signalId: data.id, bucketName: BUCKET, initialValue: { opens: 0 }, backtest, when });
  await Memory.writeMemory({ memoryId: 'entry', value: { price: currentPrice, position: data.position }, signalId: data.id, bucketName: MEMORY_BUCKET, description: 'entry price', backtest, when });
}

// Positions count against a risk profile: live, backtest-kit persists them in risk-items.
addRiskSchema({ riskName: RISK, validations: [] });

/**
 * backtest-kit's persistent Cache.file (measure-items) and Interval.file (interval-items), called
 * from getSignal (they need its method and execution context). Every value they computed is
 * reported, so the test can tell the stored documents from what the bot produced.
 */
const measured = [];
const fired = [];
const measure = Cache.file(async (symbol, price) => {
  const value = { symbol, price, note: 'interop measure' };
  measured.push(value);
  return value;
}, { interval: '1h', name: 'interop-measure' });
const fireOnce = Interval.file(async (symbol, price) => {
  const value = { symbol, price, note: 'interop interval' };
  fired.push(value);
  return value;
}, { interval: '1h', name: 'interop-interval' });

async function signalFor(symbol, currentPrice) {
  if (symbol === SYMBOL) {
    await measure(symbol, currentPrice);
    await fireOnce(symbol, currentPrice);
  }
  if (symbol === RALLY_SYMBOL) {
    return { position: 'long', priceTakeProfit: currentPrice * 1.05, priceStopLoss: currentPrice * 0.95, minuteEstimatedTime: 45, note: 'interop rally' };
  }
  return symbol === SCHEDULED_SYMBOL ? {
    position: 'long',
    priceOpen: currentPrice * 0.98,
    priceTakeProfit: currentPrice * 0.98 * 1.01,
    priceStopLoss: currentPrice * 0.98 * 0.99,
    minuteEstimatedTime: 45,
    note: 'interop scheduled',
  } : ({
    position: opened % 2 === 0 ? 'long' : 'short',
    priceTakeProfit: currentPrice * (opened % 2 === 0 ? 1.008 : 0.992),
    priceStopLoss: currentPrice * (opened % 2 === 0 ? 0.992 : 1.008),
    minuteEstimatedTime: 45,
    note: 'interop',
  });
}

addStrategySchema({
  strategyName: STRATEGY,
  interval: '1m',
  riskName: RISK,
  getSignal: async (symbol, _when, currentPrice) => signalFor(symbol, currentPrice),
  callbacks: {
    onOpen: (symbol, data, currentPrice, when, backtest) => {
      pending.push(rememberOpen(symbol, data, currentPrice, when, backtest).catch((e) => errors.push(`onOpen: ${e?.stack ?? e}`)));
    },
  },
});

let backtestEvents = 0;
for await (const event of Backtest.run(SYMBOL, { strategyName: STRATEGY, exchangeName: EXCHANGE, frameName: FRAME })) {
  if (event?.action === 'closed') backtestEvents++;
}
await Promise.all(pending);

const firstLive = (symbol, action) =>
  new Promise((resolve) => {
    const stop = listenSignalLive((event) => {
      if (event?.action === action && event.symbol === symbol) {
        stop();
        resolve(event.signal?.id);
      }
    });
  });
const once = (listen, symbol) =>
  new Promise((resolve) => {
    const stop = listen((event) => {
      if (event?.symbol === symbol && event.backtest === false) {
        stop();
        resolve(event);
      }
    });
  });
const within = (promise, ms) => Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve('timeout'), ms))]);
const liveTimeoutMs = Number(process.env.INTEROP_LIVE_TIMEOUT_MS ?? 60_000);

/** Polls the bot's own database until a document of `collection` for `filter` is there (the persist write follows the event). */
async function persisted(collection, filter, ms = 10_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if ((await mongoose.connection.collection(collection).countDocuments(filter)) > 0) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

// Live, first the rally: its first tick opens a long position; the next minute's tick (live ticks
// wait for the next 1m candle) finds the price up ~2%: past the breakeven threshold (fees and
// slippage twice + CC_BREAKEVEN_THRESHOLD = 0.6%) and past 10% of the way to take profit.
rallyFrom = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;
const rallyOpened = firstLive(RALLY_SYMBOL, 'opened');
const rallyPartial = once(listenPartialProfitAvailable, RALLY_SYMBOL);
const rallyBreakeven = once(listenBreakevenAvailable, RALLY_SYMBOL);
Live.background(RALLY_SYMBOL, { strategyName: STRATEGY, exchangeName: EXCHANGE });
const rallySignalId = await within(rallyOpened, liveTimeoutMs);
const [partialEvent, breakevenEvent] = await Promise.all([within(rallyPartial, 75_000 + liveTimeoutMs), within(rallyBreakeven, 75_000 + liveTimeoutMs)]);
const partialLevel = partialEvent === 'timeout' ? 'timeout' : partialEvent.level;
const rallyPersisted = {
  partial: await persisted('partial-items', { symbol: RALLY_SYMBOL, signalId: rallySignalId }),
  breakeven: breakevenEvent !== 'timeout' && (await persisted('breakeven-items', { symbol: RALLY_SYMBOL, signalId: rallySignalId })),
};

// Then one tick opens a position at the replayed price (and schedules one on the second symbol),
// just after the rally's tick, so neither sees a second tick before every run stops.
const liveOpened = firstLive(SYMBOL, 'opened');
const liveScheduled = firstLive(SCHEDULED_SYMBOL, 'scheduled');
let liveDoneCount = 0;
const liveDone = new Promise((resolve) => listenDoneLive(() => ++liveDoneCount === 2 && resolve(undefined)));
Live.background(SYMBOL, { strategyName: STRATEGY, exchangeName: EXCHANGE });
Live.background(SCHEDULED_SYMBOL, { strategyName: STRATEGY, exchangeName: EXCHANGE });
const [liveSignalId, scheduledSignalId] = await Promise.all([within(liveOpened, liveTimeoutMs), within(liveScheduled, liveTimeoutMs)]);
await Promise.all(pending);
await Live.stop(SYMBOL, { strategyName: STRATEGY, exchangeName: EXCHANGE });
await Live.stop(SCHEDULED_SYMBOL, { strategyName: STRATEGY, exchangeName: EXCHANGE });
await Live.stop(RALLY_SYMBOL, { strategyName: STRATEGY, exchangeName: EXCHANGE });
await Promise.race([liveDone, new Promise((r) => setTimeout(r, 5_000))]);
await Promise.all(pending);
// Let the fire-and-forget persistence of the last tick (storage, notifications) land.
await new Promise((r) => setTimeout(r, 1_500));

finish({ symbol: SYMBOL, scheduledSymbol: SCHEDULED_SYMBOL, riskName: RISK, strategyName: STRATEGY, exchangeName: EXCHANGE, frameName: FRAME, backtestClosed: backtestEvents, opened, liveSignalId, scheduledSignalId,
  rallySymbol: RALLY_SYMBOL, rallySignalId, partialLevel, breakevenReached: breakevenEvent !== 'timeout', rallyPersisted, measured, fired,
});
