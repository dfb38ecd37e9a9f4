import { readCachedColumns } from '../engine/candle-cache';
import type { CandleColumns } from '../engine/columnar';
import { StrategyCatalog } from '../engine/strategy-catalog';
import type { StrategyDefinition } from '../engine/strategy';
import { replayTrial, type TrialOutcome } from './trial-replay';
import type { TrialSpec } from './trial-spec';

/** Candle columns kept per cache file: one symbol's range is read from disk once per worker, not per trial. */
const MAX_CACHED_FILES = 64;

/**
 * Runs trials one after another in the current thread, keeping what trials share: each symbol's
 * candle columns (by cache file) and each loaded strategy. Used inside worker threads and by the
 * Redis worker process.
 */
export class TrialEngine {
  private readonly columns = new Map<string, CandleColumns>();
  private readonly strategies = new Map<string, Promise<StrategyDefinition>>();
  private readonly catalog: StrategyCatalog;

  constructor(options: { strategiesDir?: string; builtins?: readonly StrategyDefinition[] }) {
    this.catalog = new StrategyCatalog({ userDir: options.strategiesDir, builtins: options.builtins });
  }

  private columnsOf(file: string): CandleColumns {
    let cols = this.columns.get(file);
    if (!cols) {
      if (this.columns.size >= MAX_CACHED_FILES) this.columns.delete(this.columns.keys().next().value!);
      cols = readCachedColumns(file);
      this.columns.set(file, cols);
    }
    return cols;
  }

  private strategy(name: string): Promise<StrategyDefinition> {
    let loaded = this.strategies.get(name);
    if (!loaded) {
      loaded = this.catalog.load(name);
      // A failed load is not remembered: the file may be fixed before the next trial.
      loaded.catch(() => this.strategies.delete(name));
      this.strategies.set(name, loaded);
    }
    return loaded;
  }

  /** A strategy that throws fails this trial only (recorded with its error); the sweep goes on. */
  async run(spec: TrialSpec, files: Record<string, string>): Promise<TrialOutcome> {
    try {
      const strategy = await this.strategy(spec.strategyName);
      return await replayTrial(spec, strategy, (symbol) => {
        const file = files[symbol];
        if (!file) throw new Error(`no candle cache file for ${symbol}`);
        return this.columnsOf(file);
      });
    } catch (error) {
      return { stats: null, error: error instanceof Error ? error.message : String(error) };
    }
  }
}
