import { readFileSync, writeFileSync } from 'node:fs';
import { ConnectionManager } from '../electron/core/db/connection-manager';
import { importCandleFile } from '../electron/core/market/candle-importer';
import { CandleStore } from '../electron/core/market/candle-store';
import type { CandleKey } from '../shared/candles';
import { RunManager } from '../electron/core/engine/run-manager';
import { createPersistence } from '../electron/core/persist';
import { BUILTIN_STRATEGIES } from '../electron/core/strategies';
import { SyntheticStore } from './synthetic-store';

/**
 * Runs one piece of work alone in this process and reports its memory: the resident set before
 * the work (modules loaded, database connected, after a full GC) and the peak resident set during
 * it (the kernel's high-water mark, reset just before the work starts). `peak - baseline` is what
 * the work itself needed, free of whatever an earlier benchmark left in a shared process.
 *
 *   tsx bench/rss-child.ts <task> '<json args>'   → prints one JSON line
 */

function statusKb(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error(`/proc/self/status has no ${field}`);
  return Number(m[1]);
}

function baseline(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return statusKb('VmRSS') / 1024;
}

/** "5" resets VmHWM to the current RSS (Linux 4.0+), so the next reading is the peak since. */
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

async function measure<T>(work: () => Promise<T>, baselineMb = baseline()): Promise<{ baselineMb: number; peakMb: number; result: T }> {
  resetPeak();
  const result = await work();
  return { baselineMb, peakMb: statusKb('VmHWM') / 1024, result };
}

interface BacktestArgs {
  workerFile: string;
  cacheDir: string;
  dataDir: string;
  candles: number;
}

interface ImportArgs {
  uri: string;
  file: string;
  key: CandleKey;
}

const tasks: Record<string, (args: never) => Promise<unknown>> = {
  /**
   * One SMA backtest of `candles` synthetic 1m candles through the run manager (one worker), warm
   * worker and warm cache as in backtest.candles_per_s. Baseline: this process before any run.
   */
  async backtest(args: BacktestArgs) {
    const T0 = Date.UTC(2020, 0, 1);
    const persistence = await createPersistence({ mode: 'backtest', dataDir: args.dataDir });
    const manager = new RunManager({
      candles: new SyntheticStore(new Map([['SYN/1M', { count: args.candles, seed: 1 }]])),
      cacheDir: args.cacheDir,
      builtins: BUILTIN_STRATEGIES,
      persistence: { live: persistence, backtest: persistence },
      workerEntry: { file: args.workerFile, typescript: false },
      backtestWorkers: 1,
    });
    const request = { kind: 'backtest' as const, strategyName: 'sma-crossover', params: { fast: 10, slow: 30, takeProfitPercent: 1, stopLossPercent: 1, lifetimeMinutes: 240, allowShort: true }, exchangeName: 'synthetic', symbols: ['SYN/1M'], interval: '1m' as const, from: T0, to: T0 + args.candles * 60_000 };
    const run = async (): Promise<{ ms: number; trades: number }> => {
      const started = performance.now();
      const { runId } = await manager.start(request);
      const done = await manager.waitFor(runId, 600_000);
      if (done.status !== 'completed') throw new Error(`run ${runId} ${done.status}: ${done.error ?? ''}`);
      const ms = performance.now() - started;
      await manager.settled(); // its history record and Storage rows are part of the run's memory
      return { ms, trades: done.stats?.trades ?? 0 };
    };
    const before = baseline();
    await run(); // writes the columnar cache and starts the worker
    const afterBuildMb = statusKb('VmRSS') / 1024;
    try {
      const measured = await measure(run, before);
      return { ...measured, result: { ...measured.result, afterBuildMb } };
    } finally {
      await manager.close();
      await persistence.close();
    }
  },

  /** A strict Binance CSV import into MongoDB, exactly what candles.import does. */
  async import(args: ImportArgs) {
    const manager = new ConnectionManager({ uri: args.uri });
    await manager.connect();
    const store = new CandleStore(manager.connection);
    await store.ensureIndexes();
    try {
      return await measure(async () => {
        const started = performance.now();
        const report = await importCandleFile(store, { file: args.file, key: args.key, format: 'binance-csv' });
        if (!report.ok) throw new Error(`import failed: ${JSON.stringify(report.issues.slice(0, 3))}`);
        return { rows: report.rows, inserted: report.inserted, seconds: (performance.now() - started) / 1000 };
      });
    } finally {
      await manager.close();
    }
  },
};

async function main(): Promise<void> {
  const [name, json] = process.argv.slice(2);
  const task = name ? tasks[name] : undefined;
  if (!task) throw new Error(`unknown task ${name}; one of ${Object.keys(tasks).join(', ')}`);
  const out = await task(JSON.parse(json ?? '{}') as never);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
