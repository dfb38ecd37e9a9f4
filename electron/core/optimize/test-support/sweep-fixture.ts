import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDb, type TestDb } from '../../../../test/support/test-db';
import type { SweepDefinitionInput } from '../../../../shared/domain/optimize';
import type { TrialSpec } from '../trial-spec';
import { CandleDbService } from '../../db/candle-db-service';
import { CandleCache } from '../../engine/candle-cache';
import { StrategyCatalog } from '../../engine/strategy-catalog';
import { readSharedCandles } from '../../engine/test-support/real-candles';
import { BUILTIN_STRATEGIES } from '../../strategies';
import { LocalTrialExecutor } from '../executors';
import { SweepService } from '../sweep-service';
import { SweepStore } from '../sweep-store';
import { TrialPool } from '../trial-pool';

export const EXCHANGE = 'binance';
export const SYMBOLS = { 'ETH/BTC': 'ETH_BTC-1m.json', 'DASH/BTC': 'DASH_BTC-1m.json' } as const;
/** Three days of real one-minute candles per symbol: enough trades, seconds per sweep. */
export const DAYS = 3;

export interface SweepFixture {
  db: TestDb;
  candles: CandleDbService;
  store: SweepStore;
  catalog: StrategyCatalog;
  range: { from: number; to: number };
  dir: string;
  /** A service on this database running trials in this process's worker threads. */
  localService(threads?: number): SweepService;
  dispose(): Promise<void>;
}

export async function openSweepFixture(suite: string): Promise<SweepFixture> {
  const db = await openTestDb(suite);
  const candles = new CandleDbService(db.manager.connection);
  await candles.ensureIndexes();
  let from = Infinity;
  for (const [symbol, file] of Object.entries(SYMBOLS)) {
    const rows = readSharedCandles(file);
    from = Math.min(from, rows[0]!.timestamp);
    await candles.bulkUpsert({ exchangeName: EXCHANGE, symbol, interval: '1m' }, rows.slice(0, DAYS * 1440 + 60));
  }
  const range = { from, to: from + DAYS * 86_400_000 };
  const dir = mkdtempSync(join(tmpdir(), 'bm-optimize-'));
  const store = new SweepStore(db.manager.connection);
  const catalog = new StrategyCatalog({ builtins: BUILTIN_STRATEGIES });
  const services: SweepService[] = [];
  return {
    db,
    candles,
    store,
    catalog,
    range,
    dir,
    localService(threads = 2) {
      const executor = new LocalTrialExecutor(new TrialPool(undefined, threads), new CandleCache(join(dir, 'cache'), candles), store);
      // Every trial reports progress, so a test can stop a sweep after exactly N trials on a fast machine too.
      const service = new SweepService({ store, executor, catalog, progressEveryMs: 0 });
      services.push(service);
      return service;
    },
    async dispose() {
      await Promise.all(services.map((s) => s.close().catch(() => undefined)));
      await db.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** sma-crossover over a 3 x 3 x 2 grid (18 trials) on both symbols. */
export function gridSweep(range: { from: number; to: number }, extra: Partial<SweepDefinitionInput> = {}): SweepDefinitionInput {
  return {
    name: 'test grid',
    strategies: [
      {
        strategyName: 'sma-crossover',
        params: { fast: { min: 5, max: 15, step: 5 }, slow: { min: 20, max: 40, step: 10 }, takeProfitPercent: { choices: [0.5, 1] }, allowShort: { fixed: true } },
      },
    ],
    exchangeName: EXCHANGE,
    symbols: Object.keys(SYMBOLS),
    interval: '1m',
    ...range,
    objective: { metric: 'totalPnlPercent', minTrades: 1 },
    search: { method: 'grid' },
    ...extra,
  };
}

/** One trial of a sweep over both symbols and the whole fixture range, as the sweep service would hand it out. */
export function fixtureTrial(
  range: { from: number; to: number },
  trial: Pick<TrialSpec, 'sweepId' | 'index' | 'strategyName' | 'params' | 'objective'>,
): TrialSpec {
  return {
    trialId: `${trial.sweepId}.all.${trial.index}`,
    phase: 'all',
    ...trial,
    exchangeName: EXCHANGE,
    symbols: Object.keys(SYMBOLS),
    interval: '1m',
    ...range,
    cacheFrom: range.from,
    cacheTo: range.to,
    costs: { feePercent: 0.1, slippagePercent: 0.1 },
    scheduleTimeoutMinutes: 120,
  };
}
