import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Candle } from '../shared/candles';
import type { SweepDefinitionInput } from '../shared/domain/optimize';
import { ConnectionManager } from '../electron/core/db/connection-manager';
import { CandleDbService } from '../electron/core/db/candle-db-service';
import { CandleCache } from '../electron/core/engine/candle-cache';
import { StrategyCatalog } from '../electron/core/engine/strategy-catalog';
import { LocalTrialExecutor, RedisTrialExecutor, type TrialExecutor } from '../electron/core/optimize/executors';
import { SweepService } from '../electron/core/optimize/sweep-service';
import { SweepStore } from '../electron/core/optimize/sweep-store';
import { TrialPool } from '../electron/core/optimize/trial-pool';
import { BUILTIN_STRATEGIES } from '../electron/core/strategies';
import { startRedis } from '../test/support/redis';
import type { Benchmark, BenchResult } from './harness';
import { mulberry32 } from './random';

/**
 * Optimize throughput: an SMA-crossover grid on 9 symbols x 30 days of synthetic 1m candles (the
 * issue's setting), in process with the default trial threads vs one, and through 1, 2 and 4 BullMQ
 * worker processes (npm run worker) on this machine. Every configuration runs the same grid on warm
 * candle caches (built once, before the measured sweeps; the workers share the cache folder), after a
 * warm-up sweep on the same range (threads or processes started, strategy loaded, the candle check
 * against MongoDB done: both sides trust it for a minute), and is timed from optimize start to the
 * last trial stored in MongoDB. Every configuration must give the same best trial, with no failed trial.
 */
const MIN = 60_000;
const T0 = Date.UTC(2020, 0, 1);
const SYMBOLS = 9;
const DAYS = Number(process.env.OPTIMIZE_BENCH_DAYS ?? 30);

function syntheticCandles(count: number, seed: number): Candle[] {
  const rand = mulberry32(seed);
  const out: Candle[] = new Array(count);
  let price = 100;
  for (let i = 0; i < count; i++) {
    const open = price;
    const close = Math.max(1, open * (1 + (rand() - 0.5) * 0.004));
    out[i] = { timestamp: T0 + i * MIN, open, high: Math.max(open, close) * (1 + rand() * 0.001), low: Math.min(open, close) * (1 - rand() * 0.001), close, volume: rand() * 100 };
    price = close;
  }
  return out;
}

const bench: Benchmark = async (ctx) => {
  const uri = ctx.databaseUri('optimize');
  const db = new ConnectionManager({ uri });
  await db.connect();
  const redis = await startRedis();
  const redisUrl = `redis://${redis.host}:${redis.port}`;
  const workers: ChildProcess[] = [];
  try {
    const candles = new CandleDbService(db.connection);
    await candles.ensureIndexes();
    const count = DAYS * 1440;
    const symbols = Array.from({ length: SYMBOLS }, (_, k) => `OPT${k}/USD`);
    const loadStart = performance.now();
    for (const [k, symbol] of symbols.entries()) await candles.bulkUpsert({ exchangeName: 'synthetic', symbol, interval: '1m' }, syntheticCandles(count, 900 + k));
    ctx.log(`stored ${SYMBOLS} x ${count} candles in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);
    const store = new SweepStore(db.connection);
    const catalog = new StrategyCatalog({ builtins: BUILTIN_STRATEGIES });
    const cacheDir = join(ctx.workDir, 'cache');
    const range = { from: T0, to: T0 + count * MIN };
    // 4 x 3 x 2 = 24 trials, each a full replay of 9 symbols x DAYS days.
    const sweep = (name: string, fastMax = 20): SweepDefinitionInput => ({
      name,
      strategies: [{ strategyName: 'sma-crossover', params: { fast: { min: 5, max: fastMax, step: 5 }, slow: { min: 30, max: 90, step: 30 }, takeProfitPercent: { choices: [0.5, 1] } } }],
      exchangeName: 'synthetic',
      symbols,
      interval: '1m',
      ...range,
      objective: { metric: 'sharpe', minTrades: 1 },
    });
    let bestParams: string | undefined;
    const timed = async (executor: TrialExecutor, label: string): Promise<{ trials: number; perSecond: number; ms: number }> => {
      const service = new SweepService({ store, executor, catalog });
      try {
        await service.waitFor((await service.start(sweep(`warm-up ${label}`, 5))).sweepId); // threads/processes, strategies, columns
        const started = performance.now();
        const done = await service.waitFor((await service.start(sweep(label))).sweepId);
        const ms = performance.now() - started;
        if (done.status !== 'completed') throw new Error(`${label}: sweep ended ${done.status} (${done.error ?? ''})`);
        const failed = (await service.trials(done.sweepId)).items.filter((t) => t.error !== undefined || t.stats === null);
        if (failed.length) throw new Error(`${label}: ${failed.length} trials failed, e.g. ${failed[0]!.error}`);
        const best = JSON.stringify(done.best?.params);
        if (bestParams !== undefined && best !== bestParams) throw new Error(`${label}: best ${best} differs from ${bestParams}`);
        bestParams = best;
        ctx.log(`${label}: ${done.done} trials in ${(ms / 1000).toFixed(2)} s`);
        return { trials: done.done, perSecond: done.done / (ms / 1000), ms };
      } finally {
        await service.close();
      }
    };
    const local = (threads: number): TrialExecutor => new LocalTrialExecutor(new TrialPool(undefined, threads), new CandleCache(cacheDir, candles), store);

    const defaultThreads = availableParallelism();
    const one = await timed(local(1), 'in process, 1 thread');
    const all = await timed(local(defaultThreads), `in process, ${defaultThreads} threads (default)`);
    const results: BenchResult[] = [
      { name: 'optimize.trials_per_s_1_thread', value: Number(one.perSecond.toFixed(2)), unit: 'trials/s', note: `SMA crossover grid, ${SYMBOLS} symbols x ${DAYS} days of 1m candles per trial, in process on one worker thread` },
      { name: 'optimize.trials_per_s_default', value: Number(all.perSecond.toFixed(2)), unit: 'trials/s', note: `the same grid on the default ${defaultThreads} worker threads` },
      { name: 'optimize.default_vs_1_thread', value: Number((all.perSecond / one.perSecond).toFixed(2)), unit: 'x', note: `speed-up of the default threads over one (target >= 1.6 on 2 cores; this machine has ${defaultThreads}, shared)` },
    ];

    const startWorker = (n: number): ChildProcess => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'electron/core/cli/worker.ts'), '--redis', redisUrl, '--mongo', uri, '--cache-dir', cacheDir, '--name', `bench-${n}`], { stdio: 'ignore' });
      workers.push(child);
      return child;
    };
    let perTrial1 = NaN;
    for (const n of [1, 2, 4]) {
      while (workers.length < n) startWorker(workers.length);
      const executor = new RedisTrialExecutor({ url: redisUrl }, store);
      const deadline = Date.now() + 120_000;
      while ((await executor.workerCount()) < n) {
        if (Date.now() > deadline) throw new Error(`${n} workers did not connect in 120 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const r = await timed(executor, `BullMQ, ${n} worker process${n > 1 ? 'es' : ''}`);
      results.push({ name: `optimize.trials_per_s_bullmq_${n}`, value: Number(r.perSecond.toFixed(2)), unit: 'trials/s', note: `the same grid through Redis and ${n} npm run worker process(es) on this machine` });
      if (n === 1) perTrial1 = r.ms / r.trials;
    }
    const perTrialLocal1 = one.ms / one.trials;
    results.push({
      name: 'optimize.queue_overhead_ms_per_trial',
      value: Number((perTrial1 - perTrialLocal1).toFixed(2)),
      unit: 'ms',
      note: `time per trial through BullMQ with one worker process (${perTrial1.toFixed(1)} ms) minus in process on one thread (${perTrialLocal1.toFixed(1)} ms): queueing, Redis round trips, the MongoDB write and read-back (target <= 5)`,
    });
    return results;
  } finally {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exitCode !== null || w.signalCode !== null) return resolve();
            w.once('exit', () => resolve());
            w.kill('SIGTERM');
            setTimeout(() => w.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    await redis.stop();
    await db.connection.dropDatabase().catch(() => undefined);
    await db.close();
  }
};

export default bench;
