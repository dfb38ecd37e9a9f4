/**
 * The real thing for e2e/07-bots.spec.ts: a process that persists through backtest-kit 19.5.0's
 * own Persist*Adapter utilities with @backtest-kit/mongo 19.5.0 installed (the test-only fixture
 * folder bench/backtest-kit; never an app dependency), so the documents, keys, indexes and
 * timestamps are the package's, not ours. Needs Redis (the package caches document ids there).
 *
 *   tsx real-bot-cli.ts --uri mongodb://… --redis-port P --strategy s --exchange e --symbol X
 *
 * Writes the newest candle, an open long position, the strategy status (paused, one retry) and a
 * signal.opened notification, prints `WROTE <epoch ms> <signalId>` and exits.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { signalNotification, signalRow, strategyStatus } from './bot-documents';

const FIXTURE = join(process.env.BACKTEST_MONITOR_ROOT ?? process.cwd(), 'bench', 'backtest-kit', 'node_modules');

/** True when the fixture folder has the real packages installed (`npm ci` in bench/backtest-kit). */
function realPackagesInstalled(): boolean {
  return existsSync(join(FIXTURE, 'backtest-kit', 'build', 'index.mjs')) && existsSync(join(FIXTURE, '@backtest-kit', 'mongo', 'build', 'index.mjs'));
}

type Fn = (...args: unknown[]) => Promise<unknown>;
interface BacktestKit {
  PersistCandleAdapter: { writeCandlesData: Fn };
  PersistSignalAdapter: { writeSignalData: Fn };
  PersistStrategyAdapter: { writeStrategyData: Fn };
  PersistNotificationAdapter: { writeNotificationData: Fn };
}
interface MongoPackage {
  setup(config: Record<string, unknown>): void;
  waitForInit(): Promise<void>;
  getMongo(): Promise<{ models: Record<string, { init(): Promise<unknown> }> }>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { uri: { type: 'string' }, 'redis-port': { type: 'string' }, strategy: { type: 'string' }, exchange: { type: 'string' }, symbol: { type: 'string' } },
  });
  const { uri, strategy, exchange, symbol } = values;
  const redisPort = Number(values['redis-port']);
  if (!uri || !strategy || !exchange || !symbol || !(redisPort > 0)) throw new Error('usage: --uri --redis-port --strategy --exchange --symbol');
  if (!realPackagesInstalled()) throw new Error(`backtest-kit / @backtest-kit/mongo are not installed in ${FIXTURE} (npm ci in bench/backtest-kit)`);
  // The ES builds, so @backtest-kit/mongo's own `import 'backtest-kit'` is this very module instance.
  const bk = (await import(pathToFileURL(join(FIXTURE, 'backtest-kit', 'build', 'index.mjs')).href)) as BacktestKit;
  const mongo = (await import(pathToFileURL(join(FIXTURE, '@backtest-kit', 'mongo', 'build', 'index.mjs')).href)) as MongoPackage;
  mongo.setup({ CC_MONGO_CONNECTION_STRING: uri, CC_REDIS_HOST: '127.0.0.1', CC_REDIS_PORT: redisPort });
  await mongo.waitForInit();
  // The package's models build their indexes in the background; mongo-java-server can fail an
  // upsert racing an index build on the same collection ("Unknown error: null"), so let them finish.
  const mongoose = await mongo.getMongo();
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));

  const bot = { strategyName: strategy, exchangeName: exchange, symbol, frameName: '' };
  const now = Date.now();
  const minute = now - (now % 60_000);
  const signal = signalRow(bot, { priceOpen: 100, priceTakeProfit: 102, priceStopLoss: 99, at: minute });
  await bk.PersistCandleAdapter.writeCandlesData([{ timestamp: minute, open: 100, high: 101.2, low: 99.8, close: 101, volume: 12 }], symbol, '1m', exchange);
  await bk.PersistSignalAdapter.writeSignalData(signal, symbol, strategy, exchange);
  await bk.PersistStrategyAdapter.writeStrategyData(strategyStatus({ pendingSignalId: String(signal.id), isPaused: true, retryOpenCount: 1 }), symbol, strategy, exchange);
  await bk.PersistNotificationAdapter.writeNotificationData([signalNotification(bot, 'signal.opened', signal, { at: now, currentPrice: 100 })], false);
  console.log(`WROTE ${Date.now()} ${String(signal.id)}`);
}

main().then(
  // The package keeps its MongoDB and Redis connections open; this process has done its part.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : String(error));
    process.exit(1);
  },
);
