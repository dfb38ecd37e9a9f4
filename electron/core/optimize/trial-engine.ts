import { statSync } from 'node:fs';
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
  private readonly columns = new Map<string, { version: string; cols: CandleColumns }>();
  private reads = 0;
  private readonly strategies = new Map<string, Promise<StrategyDefinition>>();
  private readonly catalog: StrategyCatalog;

  constructor(options: { strategiesDir?: string; builtins?: readonly StrategyDefinition[] }) {
    this.catalog = new StrategyCatalog({ userDir: options.strategiesDir, builtins: options.builtins });
  }

  /**
   * A cache file keeps its path when the candle cache rewrites it (candles imported since): its size
   * and modification time tell, for the price of one stat per symbol and trial, whether the columns
   * held here are still what the file says.
   */
  private columnsOf(file: string): CandleColumns {
    const st = statSync(file);
    const version = `${st.size}:${st.mtimeMs}`;
    const held = this.columns.get(file);
    if (held && held.version === version) return held.cols;
    this.columns.delete(file);
    if (this.columns.size >= MAX_CACHED_FILES) this.columns.delete(this.columns.keys().next().value!);
    const cols = readCachedColumns(file);
    this.reads++;
    this.columns.set(file, { version, cols });
    return cols;
  }

  /** How many times this engine read a cache file (tests: once per symbol, not per trial). */
  get fileReads(): number {
    return this.reads;
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
