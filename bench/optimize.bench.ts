import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance as perfHooks } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
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
import { BenchFailure, childJsonLine, type Benchmark, type BenchResult } from './harness';
import { mulberry32 } from './random';

/**
 * Optimize throughput: an SMA-crossover grid on 9 symbols x 30 days of synthetic 1m candles (the
 * issue's setting), in process with the default trial threads vs one, and through 1, 2 and 4 BullMQ
 * worker processes (npm run worker) on this machine.
 *
 * Equal terms: every configuration runs the same 48-trial grid on the same warm candle cache files
 * (built once; the workers share the cache folder), after a warm-up sweep of its own (threads or
 * processes started, strategy loaded, each symbol's columns read once per thread/process, the candle
 * check against MongoDB done and trusted for a minute by both sides), and is timed from optimize
 * start to the last trial stored in MongoDB. The two sides of each ratio are measured in alternating
 * rounds (1 thread / default threads; in process / BullMQ), so a load change on the shared machine
 * hits both; the figures are the medians with the range of the rounds. The machine's own parallelism
 * (plain CPU work in N threads vs 1) is measured between the rounds: the ceiling of any speed-up here.
 * Every configuration must give the same best trial, with no failed trial.
 *
 * Memory and database of 10,000 trials: bench/optimize-10k-child.ts in a child process doing only that.
 */
const MIN = 60_000;
const T0 = Date.UTC(2020, 0, 1);
const SYMBOLS = 9;
const DAYS = Number(process.env.OPTIMIZE_BENCH_DAYS ?? 30);
const ROUNDS = Number(process.env.OPTIMIZE_BENCH_ROUNDS ?? 3);
/** `default_vs_1_thread`: only the in-process thread comparison (no 10,000-trial sweep, no BullMQ). */
const ONLY = process.env.OPTIMIZE_BENCH_ONLY;

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

/** Median and range of a list, for "median (min–max)" notes. */
function spread(values: number[], digits = 2): { median: number; text: string } {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return { median, text: `${median.toFixed(digits)} (${sorted[0]!.toFixed(digits)}–${sorted.at(-1)!.toFixed(digits)} over ${values.length} rounds)` };
}

/** The same fixed CPU work in one thread, then split over `threads`: what parallelism the machine gives right now. */
async function machineParallelism(threads: number): Promise<number> {
  const code = `const { parentPort, workerData } = require('node:worker_threads'); let x = 0; for (let i = 0; i < workerData; i++) x += Math.sqrt(i); parentPort.postMessage(x);`;
  const time = async (n: number): Promise<number> => {
    const t = performance.now();
    await Promise.all(Array.from({ length: n }, () => new Promise((r) => new Worker(code, { eval: true, workerData: 2e8 / n }).once('message', r))));
    return performance.now() - t;
  };
  return (await time(1)) / (await time(threads));
}

/**
 * A worker's time between trials that is not replay: for consecutive trials of one worker, the
 * time from one trial's end of replay (finishedAt) to the next's (finishedAt) minus the next one's
 * replay (durationMs). The median over the sweep.
 */
async function workerGapMs(store: SweepStore, sweepId: string): Promise<number> {
  const trials = (await store.trialsOf(sweepId)).items;
  const byWorker = new Map<string, typeof trials>();
  for (const t of trials) byWorker.set(t.worker, [...(byWorker.get(t.worker) ?? []), t]);
  const gaps: number[] = [];
  for (const list of byWorker.values()) {
    list.sort((a, b) => a.finishedAt - b.finishedAt);
    for (let i = 1; i < list.length; i++) gaps.push(list[i]!.finishedAt - list[i - 1]!.finishedAt - list[i]!.durationMs);
  }
  return gaps.length ? spread(gaps, 1).median : NaN;
}

/** Runs bench/optimize-10k-child.ts and returns its JSON line. */
function tenThousandTrials(uri: string, workDir: string): Promise<TenKResult> {
  return childJsonLine<TenKResult>(['--expose-gc', '--import', 'tsx', join(process.cwd(), 'bench/optimize-10k-child.ts'), uri, workDir], 'the 10,000-trial child');
}

interface TenKResult {
  status: string;
  trials: number;
  stored: number;
  scored: number;
  ms: number;
  events: number;
  threads: number;
  baselineMb: number;
  peakMb: number;
  readPeakMb: number;
  trialBytes: number;
  sweepBytes: number;
  collStats: { size?: number; storageSize?: number; totalIndexSize?: number } | null;
}

const bench: Benchmark = async (ctx) => {
  // The candles do not change during the benchmark: the app and the workers trust a sweep's candle
  // check for the whole run (set before any executor is made; the worker processes inherit it), so
  // no timed sweep includes re-checking 9 x 43,200 candles against MongoDB.
  const ttlBefore = process.env.BACKTEST_MONITOR_CANDLE_CHECK_TTL_MS;
  process.env.BACKTEST_MONITOR_CANDLE_CHECK_TTL_MS = String(3_600_000);
  const uri = ctx.databaseUri('optimize');
  const db = new ConnectionManager({ uri });
  await db.connect();
  const redis = await startRedis();
  const redisUrl = `redis://${redis.host}:${redis.port}`;
  const workers: ChildProcess[] = [];
  const otherWorkers: ChildProcess[] = [];
  let otherRedis: Awaited<ReturnType<typeof startRedis>> | undefined;
  const services: SweepService[] = [];
  const results: BenchResult[] = [];
  try {
    if (ONLY !== 'default_vs_1_thread') {
      // Memory and database of a 10,000-trial sweep, first, in a child process on its own database.
      const tenK = await tenThousandTrials(ctx.databaseUri('optimize_10k'), ctx.workDir);
      if (tenK.status !== 'completed' || tenK.stored !== 10_000) throw new Error(`the 10,000-trial sweep ended ${tenK.status} with ${tenK.stored} trials stored`);
      const dbMb = (tenK.trialBytes + tenK.sweepBytes) / 2 ** 20;
      const indexMb = (tenK.collStats?.totalIndexSize ?? 0) / 2 ** 20;
      ctx.log(`10,000 trials in ${(tenK.ms / 1000).toFixed(1)} s on ${tenK.threads} threads (${tenK.scored} scored, ${tenK.events} progress events); collStats ${JSON.stringify(tenK.collStats)}`);
      results.push(
        {
          name: 'optimize.10k_trials_db_mb',
          value: Number((dbMb + indexMb).toFixed(1)),
          unit: 'MB',
          note: `a 10,000-trial SMA grid: BSON size of its trial and sweep documents (${dbMb.toFixed(1)} MB, ${Math.round(tenK.trialBytes / tenK.stored)} bytes a trial) plus the trial indexes the server reports (${indexMb.toFixed(1)} MB) (target <= 200)`,
        },
        {
          name: 'optimize.10k_trials_peak_rss_mb',
          value: Math.round(Math.max(tenK.peakMb, tenK.readPeakMb)),
          unit: 'MB',
          note: `peak resident set of a process running only that sweep on ${tenK.threads} trial threads (threads included; ${Math.round(tenK.baselineMb)} MB before it), or reading all 10,000 trials back as the view does (${Math.round(tenK.readPeakMb)} MB) (target <= 500)`,
        },
      );
    }

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
    // 4 x 3 x 2 x 2 = 48 trials, each a full replay of 9 symbols x DAYS days.
    const sweep = (name: string, fastMax = 20): SweepDefinitionInput => ({
      name,
      strategies: [{ strategyName: 'sma-crossover', params: { fast: { min: 5, max: fastMax, step: 5 }, slow: { min: 30, max: 90, step: 30 }, takeProfitPercent: { choices: [0.5, 1] }, stopLossPercent: { choices: [1, 2] } } }],
      exchangeName: 'synthetic',
      symbols,
      interval: '1m',
      ...range,
      objective: { metric: 'sharpe', minTrades: 1 },
    });
    let bestParams: string | undefined;
    const serviceOf = async (executor: TrialExecutor, label: string): Promise<SweepService> => {
      const service = new SweepService({ store, executor, catalog });
      services.push(service);
      // Warm-up: threads/processes, strategy, candle columns, the candle check.
      const warm = await service.waitFor((await service.start(sweep(`warm-up ${label}`, 5))).sweepId);
      if (warm.status !== 'completed') throw new Error(`${label}: warm-up sweep ended ${warm.status} (${warm.error ?? ''})`);
      return service;
    };
    interface Timed {
      trials: number;
      perSecond: number;
      msPerTrial: number;
      /** Main-thread busy time of this process per trial (event-loop utilisation x wall time / trials). */
      mainMsPerTrial: number;
      sweepId: string;
    }
    const timed = async (service: SweepService, label: string): Promise<Timed> => {
      const elu = perfHooks.eventLoopUtilization();
      const started = performance.now();
      const done = await service.waitFor((await service.start(sweep(label))).sweepId);
      const ms = performance.now() - started;
      const busy = perfHooks.eventLoopUtilization(elu);
      if (done.status !== 'completed') throw new Error(`${label}: sweep ended ${done.status} (${done.error ?? ''})`);
      const failed = (await service.trials(done.sweepId)).items.filter((t) => t.error !== undefined || t.stats === null);
      if (failed.length) throw new Error(`${label}: ${failed.length} trials failed, e.g. ${failed[0]!.error}`);
      const best = JSON.stringify(done.best?.params);
      if (bestParams !== undefined && best !== bestParams) throw new Error(`${label}: best ${best} differs from ${bestParams}`);
      bestParams = best;
      ctx.log(`${label}: ${done.done} trials in ${(ms / 1000).toFixed(2)} s (${(ms / done.done).toFixed(1)} ms a trial; main thread busy ${(busy.active / done.done).toFixed(1)} ms a trial)`);
      return { trials: done.done, perSecond: done.done / (ms / 1000), msPerTrial: ms / done.done, mainMsPerTrial: busy.active / done.done, sweepId: done.sweepId };
    };
    const local = (threads: number): TrialExecutor => new LocalTrialExecutor(new TrialPool(undefined, threads), new CandleCache(cacheDir, candles), store);

    const defaultThreads = availableParallelism();
    const oneService = await serviceOf(local(1), '1 thread');
    const allService = await serviceOf(local(defaultThreads), `${defaultThreads} threads`);
    const ones: Timed[] = [];
    const alls: Timed[] = [];
    const machine: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first, so a load change during a round does not favour one side.
      const order = r % 2 === 0 ? (['one', 'all'] as const) : (['all', 'one'] as const);
      for (const which of order) {
        if (which === 'one') ones.push(await timed(oneService, `round ${r + 1}: in process, 1 thread`));
        else alls.push(await timed(allService, `round ${r + 1}: in process, ${defaultThreads} threads (default)`));
      }
      machine.push(await machineParallelism(defaultThreads));
    }
    const speedups = ones.map((o, i) => alls[i]!.perSecond / o.perSecond);
    const oneRate = spread(ones.map((o) => o.perSecond));
    const allRate = spread(alls.map((o) => o.perSecond));
    const speedup = spread(speedups);
    const machineSpread = spread(machine);
    results.push(
      { name: 'optimize.trials_per_s_1_thread', value: Number(oneRate.median.toFixed(2)), unit: 'trials/s', note: `SMA crossover grid, ${SYMBOLS} symbols x ${DAYS} days of 1m candles per trial, in process on one worker thread: ${oneRate.text}` },
      { name: 'optimize.trials_per_s_default', value: Number(allRate.median.toFixed(2)), unit: 'trials/s', note: `the same grid on the default ${defaultThreads} worker threads: ${allRate.text}` },
      {
        name: 'optimize.default_vs_1_thread',
        value: Number(speedup.median.toFixed(2)),
        unit: 'x',
        note: `speed-up of the default threads over one, per round: ${speedup.text} (target >= 1.6 on 2 cores); main thread busy ${spread(alls.map((a) => a.mainMsPerTrial), 1).text} ms a trial`,
      },
      { name: 'optimize.machine_parallelism', value: Number(machineSpread.median.toFixed(2)), unit: 'x', note: `plain CPU work in ${defaultThreads} threads vs 1 between the rounds: ${machineSpread.text}; the ceiling of the speed-up above on this machine right now` },
    );
    if (ONLY === 'default_vs_1_thread') return results;

    const startWorker = (n: number, url = redisUrl, extra: string[] = []): ChildProcess => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'electron/core/cli/worker.ts'), '--redis', url, '--mongo', uri, '--cache-dir', cacheDir, '--name', `bench-${n}`, ...extra], {
        stdio: 'ignore',
      });
      (url === redisUrl ? workers : otherWorkers).push(child);
      return child;
    };
    const redisService = async (n: number): Promise<SweepService> => {
      while (workers.length < n) startWorker(workers.length);
      const executor = new RedisTrialExecutor({ url: redisUrl }, store);
      const deadline = Date.now() + 120_000;
      while ((await executor.workerCount()) < n) {
        if (Date.now() > deadline) throw new Error(`${n} workers did not connect in 120 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
      // Warmed with the workers present: each of them reads the candles once in the warm-up.
      return serviceOf(executor, `BullMQ ${n}`);
    };
    // Queue overhead: one worker process against one trial thread, alternating, on the same grid.
    const bull1 = await redisService(1);
    // The same one process taking two trials at once (--concurrency 2), on a Redis of its own so the
    // two worker processes never share a queue: does a result write and the job round trip overlap
    // the next replay?
    otherRedis = await startRedis();
    const otherUrl = `redis://${otherRedis.host}:${otherRedis.port}`;
    startWorker(100, otherUrl, ['--concurrency', '2']);
    const pairExecutor = new RedisTrialExecutor({ url: otherUrl }, store);
    const pairDeadline = Date.now() + 120_000;
    while ((await pairExecutor.workerCount()) < 1) {
      if (Date.now() > pairDeadline) throw new Error('the --concurrency 2 worker did not connect in 120 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const bullPair = await serviceOf(pairExecutor, 'BullMQ 1 process, concurrency 2');
    const overheads: number[] = [];
    const pairOverheads: number[] = [];
    const gaps: number[] = [];
    const bullOnes: Timed[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const local1 = await timed(oneService, `round ${r + 1}: in process, 1 thread`);
      const queued = await timed(bull1, `round ${r + 1}: BullMQ, 1 worker process`);
      const paired = await timed(bullPair, `round ${r + 1}: BullMQ, 1 worker process, --concurrency 2`);
      bullOnes.push(queued);
      overheads.push(queued.msPerTrial - local1.msPerTrial);
      pairOverheads.push(paired.msPerTrial - local1.msPerTrial);
      gaps.push(await workerGapMs(store, queued.sweepId));
    }
    const bullRate1 = spread(bullOnes.map((b) => b.perSecond));
    results.push({ name: 'optimize.trials_per_s_bullmq_1', value: Number(bullRate1.median.toFixed(2)), unit: 'trials/s', note: `the same grid through Redis and one npm run worker process on this machine: ${bullRate1.text}` });
    const overhead = spread(overheads, 1);
    const gap = spread(gaps, 1);
    results.push({
      name: 'optimize.worker_gap_ms_per_trial',
      value: Number(gap.median.toFixed(1)),
      unit: 'ms',
      note: `what a trial costs the one worker process besides its replay: the time between two trials' replays (finishedAt of one to the start of the next's replay), median per sweep: ${gap.text} ms; the MongoDB write of the result, BullMQ's completion and fetch of the next job, the candle-files check memo (target <= 5 for the queue's overhead)`,
    });
    results.push({
      name: 'optimize.queue_overhead_ms_per_trial',
      value: Number(overhead.median.toFixed(1)),
      unit: 'ms',
      note: `time per trial through BullMQ with one worker process minus in process on one thread, per round: ${overhead.text} ms; queueing, Redis round trips and the worker's MongoDB write (the app takes the result from the job's return value, no read-back) (target <= 5)`,
    });
    const pairOverhead = spread(pairOverheads, 1);
    results.push({
      name: 'optimize.queue_overhead_ms_per_trial_concurrency_2',
      value: Number(pairOverhead.median.toFixed(1)),
      unit: 'ms',
      note: `the same with the one worker process run with --concurrency 2 (two trials at once on its one thread, so a trial's write and job round trip can overlap the next replay), per round: ${pairOverhead.text} ms`,
    });
    for (const n of [2, 4]) {
      const service = await redisService(n);
      const r = await timed(service, `BullMQ, ${n} worker processes`);
      results.push({ name: `optimize.trials_per_s_bullmq_${n}`, value: Number(r.perSecond.toFixed(2)), unit: 'trials/s', note: `the same grid through Redis and ${n} npm run worker processes on this machine (${defaultThreads} cores)` });
    }
    return results;
  } catch (error) {
    if (results.length) throw new BenchFailure(error instanceof Error ? error.message : String(error), results);
    throw error;
  } finally {
    await Promise.all(services.map((s) => s.close().catch(() => undefined)));
    await Promise.all(
      [...workers, ...otherWorkers].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exitCode !== null || w.signalCode !== null) return resolve();
            w.once('exit', () => resolve());
            w.kill('SIGTERM');
            // A worker stuck in a trial does not finish on SIGTERM: it is killed after 10 s.
            setTimeout(() => w.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    await redis.stop();
    await otherRedis?.stop();
    await db.connection.dropDatabase().catch(() => undefined);
    await db.close();
    if (ttlBefore === undefined) delete process.env.BACKTEST_MONITOR_CANDLE_CHECK_TTL_MS;
    else process.env.BACKTEST_MONITOR_CANDLE_CHECK_TTL_MS = ttlBefore;
  }
};

export default bench;
