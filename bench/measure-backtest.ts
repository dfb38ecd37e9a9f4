/**
 * Where a multi-symbol backtest spends its time and memory, for the engine's own tuning (the
 * benchmark figures come from `npm run bench -- backtest`):
 *
 *   node --expose-gc --import tsx bench/measure-backtest.ts [speedup|memory] [work dir]
 *
 * speedup: the same 9 symbols × 500,000 synthetic 1m candles (SMA 10/30) one worker after another
 *          and with one worker per core, warm caches and warm workers, three times each, with the
 *          main thread's busy time; memory: this process doing only that run (one worker per core,
 *          cold workers, warm cache files), its peak resident set (VmHWM) over its baseline.
 * Built from source (tsx), so the workers load TypeScript: use it for comparisons, not as figures.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createPersistence } from '../electron/core/persist';
import { BUILTIN_STRATEGIES } from '../electron/core/strategies';
import { RunManager } from '../electron/core/engine/run-manager';
import { MIN, SyntheticStore, T0 } from './synthetic-store';

const PER_SYMBOL = 500_000;
const SYMBOLS = Array.from({ length: 9 }, (_, k) => `SYN/${k}`);

const statusMb = (field: 'VmRSS' | 'VmHWM'): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

async function main(): Promise<void> {
  const [what = 'speedup', dir = join(tmpdir(), 'bm-measure-backtest')] = process.argv.slice(2);
  const persistence = await createPersistence({ mode: 'backtest', dataDir: join(dir, 'data') });
  const common = { candles: new SyntheticStore(new Map(SYMBOLS.map((symbol, k) => [symbol, { count: PER_SYMBOL, seed: 100 + k }]))), cacheDir: join(dir, 'cache'), persistence: { live: persistence, backtest: persistence }, builtins: BUILTIN_STRATEGIES };
  const request = {
    kind: 'backtest' as const,
    strategyName: 'sma-crossover',
    params: { fast: 10, slow: 30, takeProfitPercent: 1, stopLossPercent: 1, lifetimeMinutes: 240, allowShort: true },
    exchangeName: 'synthetic',
    symbols: SYMBOLS,
    interval: '1m' as const,
    from: T0,
    to: T0 + PER_SYMBOL * MIN,
  };
  const run = async (manager: RunManager): Promise<{ ms: number; mainActiveMs: number; trades: number }> => {
    const started = performance.now();
    const elu = performance.eventLoopUtilization();
    const { runId } = await manager.start(request);
    const done = await manager.waitFor(runId, 600_000);
    if (done.status !== 'completed') throw new Error(`run ${done.status}: ${done.error ?? ''}`);
    const measured = { ms: performance.now() - started, mainActiveMs: performance.eventLoopUtilization(elu).active, trades: done.stats?.trades ?? 0 };
    await manager.settled(); // its history record and Storage rows, written after the completion: not timed, never overlapping the next run
    return measured;
  };
  const cores = availableParallelism();
  if (what === 'memory') {
    const manager = new RunManager({ ...common, backtestWorkers: cores });
    (globalThis as { gc?: () => void }).gc?.();
    const baseline = statusMb('VmRSS');
    writeFileSync('/proc/self/clear_refs', '5'); // VmHWM from here on
    const r = await run(manager);
    console.log(`9 × ${PER_SYMBOL} candles, ${cores} workers: ${r.ms.toFixed(0)} ms, ${r.trades} trades; RSS baseline ${baseline.toFixed(0)} MB, peak ${statusMb('VmHWM').toFixed(0)} MB`);
    await manager.close();
  } else {
    const sequential = new RunManager({ ...common, backtestWorkers: 1 });
    const perCore = new RunManager({ ...common, backtestWorkers: cores });
    await run(sequential); // writes the cache files, warms a worker
    await run(perCore);
    for (let rep = 0; rep < 3; rep++) {
      const seq = await run(sequential);
      const par = await run(perCore);
      console.log(
        `sequential ${seq.ms.toFixed(0)} ms (main thread busy ${seq.mainActiveMs.toFixed(0)} ms), ${cores} workers ${par.ms.toFixed(0)} ms (main thread busy ${par.mainActiveMs.toFixed(0)} ms): ${(seq.ms / par.ms).toFixed(2)}x, ${par.trades} trades`,
      );
    }
    await Promise.all([sequential.close(), perCore.close()]);
  }
  await persistence.close();
}

void main();
