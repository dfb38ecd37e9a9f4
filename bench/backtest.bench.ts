import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import type { Candle } from '../shared/candles';
import { mulberry32 } from './random';
import type { CandleRange } from '../electron/core/db/candle-db-service';
import type { CandleStore } from '../electron/core/engine/candle-cache';
import { columnsFromCandles } from '../electron/core/engine/columnar';
import { RunManager } from '../electron/core/engine/run-manager';
import { parseStrategyParams } from '../electron/core/engine/strategy';
import { SymbolRunner } from '../electron/core/engine/symbol-runner';
import { readSharedCandles, SHARED_CANDLES_DIR } from '../electron/core/engine/test-support/real-candles';
import { createPersistence } from '../electron/core/persist';
import smaCrossover from '../electron/core/strategies/sma-crossover';
import { peakRssTracker, type Benchmark, type BenchResult } from './harness';

const MIN = 60_000;
const T0 = Date.UTC(2020, 0, 1);
/** The rules compared with backtest-kit: SMA(10/30) crossover, ±1 % take-profit/stop-loss, 240 min lifetime. */
const SMA_PARAMS = { fast: 10, slow: 30, takeProfitPercent: 1, stopLossPercent: 1, lifetimeMinutes: 240, allowShort: true };

/** A deterministic random walk (mulberry32), so every run replays the same candles. */
function syntheticCandles(count: number, seed: number): Candle[] {
  const rand = mulberry32(seed);
  const out: Candle[] = new Array(count);
  let price = 100;
  for (let i = 0; i < count; i++) {
    const open = price;
    const close = Math.max(1, open * (1 + (rand() - 0.5) * 0.004));
    const high = Math.max(open, close) * (1 + rand() * 0.001);
    const low = Math.min(open, close) * (1 - rand() * 0.001);
    out[i] = { timestamp: T0 + i * MIN, open, high, low, close, volume: rand() * 100 };
    price = close;
  }
  return out;
}

/**
 * Candle store over generated series (count and seed per symbol; candles are generated when the
 * cache is built and not kept, so the bench process does not hold them during the measured runs).
 * Inserting 10^6 candles into the benchmark's database would take minutes; with a warm columnar
 * cache MongoDB is only asked for the range's count and first/last timestamps either way.
 */
class SyntheticStore implements CandleStore {
  constructor(private readonly series: Map<string, { count: number; seed: number; candles?: Candle[] }>) {}
  private all(symbol: string): Candle[] {
    const s = this.series.get(symbol);
    if (!s) return [];
    return s.candles ?? syntheticCandles(s.count, s.seed);
  }
  private inRange(range: { from?: number; to?: number }, c: Candle): boolean {
    return (range.from === undefined || c.timestamp >= range.from) && (range.to === undefined || c.timestamp < range.to);
  }
  async countRange(range: CandleRange): Promise<number> {
    const s = this.series.get(range.symbol);
    if (!s) return 0;
    if (s.candles) return s.candles.filter((c) => this.inRange(range, c)).length;
    const first = Math.max(0, Math.ceil(((range.from ?? T0) - T0) / MIN));
    const end = Math.min(s.count, Math.ceil(((range.to ?? Infinity) - T0) / MIN));
    return Math.max(0, end - first);
  }
  async findRange(range: CandleRange): Promise<Candle[]> {
    return this.all(range.symbol).filter((c) => this.inRange(range, c));
  }
  async findByFilter(filter: Record<string, unknown>, options: { sort?: Record<string, 1 | -1> }): Promise<Array<{ timestamp: number }>> {
    const s = this.series.get(String(filter.symbol));
    if (!s) return [];
    if (s.candles) return [options.sort?.timestamp === -1 ? s.candles.at(-1)! : s.candles[0]!];
    return [{ timestamp: options.sort?.timestamp === -1 ? T0 + (s.count - 1) * MIN : T0 }];
  }
}

/** Bundles the run worker the way the built app does (one .js file), so no TypeScript loader is timed. */
async function bundleWorker(outDir: string): Promise<string> {
  const file = join(outDir, 'run-worker.js');
  await build({
    entryPoints: { 'run-worker': join(process.cwd(), 'electron/core/engine/run-worker.ts') },
    outdir: outDir,
    // Split chunks keep live-only modules (ccxt) out of a backtest worker's start, as the app's bundler does.
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return file;
}

async function timeRun(manager: RunManager, request: Parameters<RunManager['start']>[0]): Promise<{ ms: number; trades: number }> {
  const started = performance.now();
  const { runId } = await manager.start(request);
  const done = await manager.waitFor(runId, 600_000);
  if (done.status !== 'completed') throw new Error(`benchmark run ${runId} ${done.status}: ${done.error ?? ''}`);
  return { ms: performance.now() - started, trades: done.stats?.trades ?? 0 };
}

/**
 * What parallelism the machine gives right now: the same fixed CPU work in one thread, then split
 * over `threads`. A shared or throttled machine can make this well under `threads` (even under 1),
 * which bounds any parallel speedup measured next to it.
 */
async function machineParallelism(threads: number): Promise<number> {
  const code = `const { parentPort, workerData } = require('node:worker_threads'); let x = 0; for (let i = 0; i < workerData; i++) x += Math.sqrt(i); parentPort.postMessage(x);`;
  const total = 3e8;
  const time = async (n: number): Promise<number> => {
    const t = performance.now();
    await Promise.all(Array.from({ length: n }, () => new Promise((r) => new Worker(code, { eval: true, workerData: total / n }).once('message', r))));
    return performance.now() - t;
  };
  const one = await time(1);
  const many = await time(threads);
  return one / many;
}

/** Our replay loop in this thread on the given candles (what a worker does once it has its cache). */
function inProcessReplay(candles: Candle[]): { candlesPerSecond: number; trades: number } {
  const cols = columnsFromCandles(candles);
  const params = parseStrategyParams(smaCrossover, SMA_PARAMS) as Record<string, unknown>;
  const noStore = { get: async () => null, set: async () => undefined };
  let best = Infinity;
  let trades = 0;
  for (let rep = 0; rep < 7; rep++) {
    let closed = 0;
    const runner = new SymbolRunner(cols, {
      identity: { runId: 'bench', symbol: 'ETH/BTC', strategyName: smaCrossover.name, exchangeName: 'binance', frameName: 'bench', backtest: true },
      strategy: smaCrossover,
      params,
      interval: '1m',
      lifecycle: { costs: { feePercent: 0.1, slippagePercent: 0.1 }, intervalMs: MIN, scheduleTimeoutMs: 120 * MIN },
      services: { session: noStore, state: noStore, memory: noStore },
      onSignal: (t) => {
        if (t === 'closed') closed++;
      },
      onInvalidSignal: () => undefined,
    });
    const started = performance.now();
    void runner.run(0, cols.length);
    best = Math.min(best, performance.now() - started);
    trades = closed;
  }
  return { candlesPerSecond: Math.round((cols.length / best) * 1000), trades };
}

interface BacktestKitResult {
  setting: string;
  candles: number;
  ms: number;
  candlesPerSecond: number;
  signals: number;
}

function ensureBacktestKit(dir: string, log: (m: string) => void): void {
  if (existsSync(join(dir, 'node_modules', 'backtest-kit', 'package.json'))) return;
  log('installing bench/backtest-kit dependencies (npm install --prefix bench/backtest-kit)');
  execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}

/** backtest-kit runs in a child process: on a fatal error it exits the process it runs in. */
function runBacktestKit(dir: string, candlesFile: string, setting: 'cache-off' | 'defaults', cwd: string): Promise<BacktestKitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, 'run-backtest-kit.mjs'), candlesFile, setting], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`backtest-kit (${setting}) exited with ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(line) as BacktestKitResult);
    });
  });
}

const backtest: Benchmark = async (ctx) => {
  const results: BenchResult[] = [];
  const cores = availableParallelism();
  const workerFile = await bundleWorker(join(ctx.workDir, 'worker'));
  const ONE_MILLION = 1_000_000;
  const PARALLEL_SYMBOLS = 9;
  const PER_SYMBOL = Number(process.env.BACKTEST_BENCH_PARALLEL_CANDLES ?? 500_000);

  const series = new Map<string, { count: number; seed: number; candles?: Candle[] }>([['SYN/1M', { count: ONE_MILLION, seed: 1 }]]);
  for (let k = 0; k < PARALLEL_SYMBOLS; k++) series.set(`SYN/${k}`, { count: PER_SYMBOL, seed: 100 + k });
  const persistence = await createPersistence({ mode: 'backtest', dataDir: join(ctx.workDir, 'data') });
  const common = { candles: new SyntheticStore(series), cacheDir: join(ctx.workDir, 'cache'), persistence: { live: persistence, backtest: persistence }, workerEntry: { file: workerFile, typescript: false } };
  const frame = (symbols: string[], count: number) => ({
    kind: 'backtest' as const,
    strategyName: 'sma-crossover',
    params: SMA_PARAMS,
    exchangeName: 'synthetic',
    symbols,
    interval: '1m' as const,
    from: T0,
    to: T0 + count * MIN,
  });

  // 1. One worker, 10^6 candles, warm cache (the first run writes the cache).
  const single = new RunManager({ ...common, backtestWorkers: 1 });
  await timeRun(single, frame(['SYN/1M'], ONE_MILLION));
  const rss = peakRssTracker();
  const measured = await timeRun(single, frame(['SYN/1M'], ONE_MILLION));
  const peakRss = rss.stop();
  const perSecond = Math.round((ONE_MILLION / measured.ms) * 1000);
  ctx.log(`1M candles in ${measured.ms.toFixed(0)} ms (${measured.trades} trades), peak RSS ${peakRss.toFixed(0)} MB`);
  results.push({ name: 'backtest.candles_per_s', value: perSecond, unit: 'candles/s', note: `SMA(10/30) crossover, 10^6 synthetic 1m candles, one worker, measured start→completed through the run manager with a warm worker and a warm cache; target >= 1,000,000` });
  results.push({ name: 'backtest.peak_rss_mb', value: Math.round(peakRss), unit: 'MB', note: 'process RSS (main + worker thread) during the 10^6-candle run' });

  // 2. Nine symbols: one worker after another vs nine workers at once.
  const symbols = [...series.keys()].filter((s) => s !== 'SYN/1M');
  const sequential = new RunManager({ ...common, backtestWorkers: 1 });
  await timeRun(sequential, frame(symbols, PER_SYMBOL)); // warms the nine caches
  const seq = await timeRun(sequential, frame(symbols, PER_SYMBOL));
  const parallel = new RunManager({ ...common, backtestWorkers: PARALLEL_SYMBOLS });
  await timeRun(parallel, frame(symbols, PER_SYMBOL)); // both sides measured with warm workers
  const par = await timeRun(parallel, frame(symbols, PER_SYMBOL));
  const perCore = new RunManager({ ...common, backtestWorkers: cores });
  await timeRun(perCore, frame(symbols, PER_SYMBOL));
  const parCores = await timeRun(perCore, frame(symbols, PER_SYMBOL));
  ctx.log(`9 × ${PER_SYMBOL} candles: sequential ${seq.ms.toFixed(0)} ms, 9 workers ${par.ms.toFixed(0)} ms, ${cores} workers ${parCores.ms.toFixed(0)} ms (${cores} cores)`);
  results.push({ name: 'backtest.parallel_speedup', value: Number((seq.ms / par.ms).toFixed(2)), unit: 'x', note: `9 symbols × ${PER_SYMBOL} candles: 9 warm workers at once vs 1 worker symbol after symbol, warm caches; ${cores} cores here, so ~${cores}x is the ceiling` });
  const capacity = await machineParallelism(cores);
  ctx.log(`machine parallelism now: ${capacity.toFixed(2)}x with ${cores} threads of plain CPU work`);
  results.push({ name: 'backtest.machine_parallelism', value: Number(capacity.toFixed(2)), unit: 'x', note: `plain CPU work in ${cores} threads vs 1, measured in the same run: the ceiling for the speedups above on this machine right now` });
  results.push({ name: 'backtest.parallel_speedup_core_workers', value: Number((seq.ms / parCores.ms).toFixed(2)), unit: 'x', note: `the same with ${cores} workers (the run manager's default: one per core)` });

  // 3. Against backtest-kit on the shared real candles, the same rules.
  const bkDir = join(process.cwd(), 'bench', 'backtest-kit');
  ensureBacktestKit(bkDir, ctx.log);
  const ethFile = join(SHARED_CANDLES_DIR, 'ETH_BTC-1m.json');
  const eth = readSharedCandles('ETH_BTC-1m.json');
  const ours = inProcessReplay(eth);
  const bkCwd = join(ctx.workDir, 'backtest-kit');
  mkdirSync(bkCwd, { recursive: true });
  const cacheOff = await runBacktestKit(bkDir, ethFile, 'cache-off', bkCwd);
  ctx.log(`backtest-kit cache off: ${JSON.stringify(cacheOff)}; ours in-process: ${ours.candlesPerSecond} candles/s, ${ours.trades} trades`);
  // Its defaults write every candle to a disk cache (~100-300 candles/s): a slice keeps the bench short.
  const sliceCount = Number(process.env.BACKTEST_BENCH_BK_DEFAULTS_CANDLES ?? 3_000);
  const sliceFile = join(bkCwd, 'ETH_BTC-1m-slice.json');
  writeFileSync(sliceFile, JSON.stringify(eth.slice(0, sliceCount).map((c) => [c.timestamp, c.open, c.high, c.low, c.close, c.volume])));
  const defaults = await runBacktestKit(bkDir, sliceFile, 'defaults', bkCwd);
  ctx.log(`backtest-kit defaults: ${JSON.stringify(defaults)}`);
  // Ours end to end (run manager, bundled worker, warm cache) on the same candles, for the record.
  const ethStore = new RunManager({ ...common, candles: new SyntheticStore(new Map([['ETH/BTC', { count: eth.length, seed: 0, candles: eth }]])), cacheDir: join(ctx.workDir, 'cache-eth') });
  const ethFrame = { ...frame(['ETH/BTC'], 0), exchangeName: 'binance', from: eth[0]!.timestamp, to: eth.at(-1)!.timestamp + MIN };
  await timeRun(ethStore, ethFrame);
  const e2e = await timeRun(ethStore, ethFrame);
  const e2ePerSecond = Math.round((eth.length / e2e.ms) * 1000);
  results.push({
    name: 'backtest.vs_backtest_kit',
    value: Math.round(ours.candlesPerSecond / cacheOff.candlesPerSecond),
    unit: 'x',
    note: `ETH_BTC-1m.json, SMA(10/30) ±1%: ours ${ours.candlesPerSecond} candles/s (replay loop) vs backtest-kit 19.5.0 ${cacheOff.candlesPerSecond} candles/s (candle cache off, retry delay 0); target >= 100`,
  });
  results.push({ name: 'backtest.backtest_kit_cache_off_candles_per_s', value: cacheOff.candlesPerSecond, unit: 'candles/s', note: `${cacheOff.candles} candles, ${cacheOff.signals} closed signals` });
  results.push({ name: 'backtest.backtest_kit_defaults_candles_per_s', value: defaults.candlesPerSecond, unit: 'candles/s', note: `default settings (per-candle disk cache), first ${sliceCount} candles of ETH_BTC-1m.json` });
  results.push({ name: 'backtest.vs_backtest_kit_defaults', value: Math.round(ours.candlesPerSecond / defaults.candlesPerSecond), unit: 'x', note: 'ours (replay loop) vs backtest-kit with its default settings' });
  results.push({
    name: 'backtest.vs_backtest_kit_end_to_end',
    value: Math.round(e2ePerSecond / cacheOff.candlesPerSecond),
    unit: 'x',
    note: 'ours through the run manager (worker, cache check, events, statistics) vs backtest-kit with its cache off',
  });
  results.push({ name: 'backtest.eth_end_to_end_candles_per_s', value: e2ePerSecond, unit: 'candles/s', note: `ours through the run manager on ETH_BTC-1m.json (${eth.length} candles) warm worker and cache, start→completed; ${e2e.trades} trades` });

  await Promise.all([single.close(), sequential.close(), parallel.close(), perCore.close(), ethStore.close()]);
  await persistence.close();
  return results;
};

export default backtest;
