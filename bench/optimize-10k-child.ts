import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mongoose from 'mongoose';
import type { Candle } from '../shared/candles';
import { ConnectionManager } from '../electron/core/db/connection-manager';
import { CandleDbService } from '../electron/core/db/candle-db-service';
import { CandleCache } from '../electron/core/engine/candle-cache';
import { StrategyCatalog } from '../electron/core/engine/strategy-catalog';
import { LocalTrialExecutor } from '../electron/core/optimize/executors';
import { SweepService } from '../electron/core/optimize/sweep-service';
import { SweepStore, SWEEPS_COLLECTION, TRIALS_COLLECTION } from '../electron/core/optimize/sweep-store';
import { TrialPool } from '../electron/core/optimize/trial-pool';
import { BUILTIN_STRATEGIES } from '../electron/core/strategies';
import { mulberry32 } from './random';

/**
 * A 10,000-trial sweep alone in this process, as the app runs it (default trial threads, every trial
 * stored in MongoDB, progress events built): prints one JSON line with the process's peak resident set
 * (threads included; the kernel's high-water mark, reset once the database is connected and the
 * candles are stored) and what the sweep put in the database. The candle range is tiny (2 symbols x
 * 2 days) so that the 10,000 trials are quick: the trial documents are the same size whatever the range.
 *
 *   tsx bench/optimize-10k-child.ts <mongo uri> <work dir>
 */
const MIN = 60_000;
const T0 = Date.UTC(2021, 0, 1);

const statusKb = (field: 'VmRSS' | 'VmHWM'): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))![1]);

function candles(count: number, seed: number): Candle[] {
  const rand = mulberry32(seed);
  let price = 100;
  return Array.from({ length: count }, (_, i) => {
    const open = price;
    const close = Math.max(1, open * (1 + (rand() - 0.5) * 0.004));
    price = close;
    return { timestamp: T0 + i * MIN, open, high: Math.max(open, close) * 1.0005, low: Math.min(open, close) * 0.9995, close, volume: rand() * 100 };
  });
}

const [uri, workDir] = process.argv.slice(2) as [string, string];
const db = new ConnectionManager({ uri });
await db.connect();
const candleDb = new CandleDbService(db.connection);
await candleDb.ensureIndexes();
const symbols = ['TENK0/USD', 'TENK1/USD'];
const count = 2 * 1440;
for (const [k, symbol] of symbols.entries()) await candleDb.bulkUpsert({ exchangeName: 'synthetic', symbol, interval: '1m' }, candles(count, 77 + k));
const store = new SweepStore(db.connection);
const pool = new TrialPool();
const service = new SweepService({ store, executor: new LocalTrialExecutor(pool, new CandleCache(join(workDir, 'cache-10k'), candleDb), store), catalog: new StrategyCatalog({ builtins: BUILTIN_STRATEGIES }) });
let events = 0;
service.on('progress', () => void events++);

(globalThis as { gc?: () => void }).gc?.();
const baselineMb = statusKb('VmRSS') / 1024;
writeFileSync('/proc/self/clear_refs', '5');
const started = performance.now();
// fast 2..101 x slow 110..209: 10,000 grid points.
const { sweepId } = await service.start({
  name: '10k trials',
  strategies: [{ strategyName: 'sma-crossover', params: { fast: { min: 2, max: 101, step: 1 }, slow: { min: 110, max: 209, step: 1 } } }],
  exchangeName: 'synthetic',
  symbols,
  interval: '1m',
  from: T0,
  to: T0 + count * MIN,
  objective: { metric: 'sharpe', minTrades: 1 },
});
const done = await service.waitFor(sweepId);
const ms = performance.now() - started;
const peakMb = statusKb('VmHWM') / 1024;
// The app's view reads every trial of the sweep at once (optimize.trials, limit 20,000): part of the peak too.
writeFileSync('/proc/self/clear_refs', '5');
const page = await service.trials(sweepId, { limit: 20_000 });
const readPeakMb = statusKb('VmHWM') / 1024;
await service.close();

// What the sweep stored: every document's BSON size (the uncompressed data a MongoDB holds), and the
// server's own figures where it reports them (collStats: data, storage and index sizes).
const bytesOf = async (name: string): Promise<number> => {
  let total = 0;
  for await (const doc of db.connection.collection(name).find(name === TRIALS_COLLECTION ? { sweepId } : { _id: sweepId as never })) total += mongoose.mongo.BSON.calculateObjectSize(doc);
  return total;
};
const trialBytes = await bytesOf(TRIALS_COLLECTION);
const sweepBytes = await bytesOf(SWEEPS_COLLECTION);
const stats = async (name: string): Promise<{ size?: number; storageSize?: number; totalIndexSize?: number } | null> =>
  (await db.connection.db!.command({ collStats: name }).catch(() => null)) as { size?: number; storageSize?: number; totalIndexSize?: number } | null;
const trialStats = await stats(TRIALS_COLLECTION);
await db.connection.dropDatabase();
await db.close();
process.stdout.write(
  `${JSON.stringify({ status: done.status, trials: done.done, stored: page.total, scored: page.items.filter((t) => t.score !== null).length, ms, events, threads: pool.size, baselineMb, peakMb, readPeakMb, trialBytes, sweepBytes, collStats: trialStats && { size: trialStats.size, storageSize: trialStats.storageSize, totalIndexSize: trialStats.totalIndexSize } })}\n`,
);
process.exit(0);
