import type { Candle } from '../shared/candles';
import type { CandleRange } from '../electron/core/db/candle-db-service';
import type { CandleStore } from '../electron/core/engine/candle-cache';
import { mulberry32 } from './random';

export const MIN = 60_000;
export const T0 = Date.UTC(2020, 0, 1);

/** A deterministic random walk (mulberry32) from T0, one 1m candle after another; can skip ahead. */
class Walk {
  private rand: () => number;
  private price = 100;
  /** Index of the next candle. */
  index = 0;

  constructor(private readonly seed: number) {
    this.rand = mulberry32(seed);
  }

  next(): Candle {
    const rand = this.rand;
    const open = this.price;
    const close = Math.max(1, open * (1 + (rand() - 0.5) * 0.004));
    const high = Math.max(open, close) * (1 + rand() * 0.001);
    const low = Math.min(open, close) * (1 - rand() * 0.001);
    const candle = { timestamp: T0 + this.index * MIN, open, high, low, close, volume: rand() * 100 };
    this.price = close;
    this.index++;
    return candle;
  }

  /** Moves to candle `index` (from the start again if it is behind), creating no candle objects. */
  seek(index: number): void {
    if (index < this.index) {
      this.rand = mulberry32(this.seed);
      this.price = 100;
      this.index = 0;
    }
    const rand = this.rand;
    for (; this.index < index; this.index++) {
      const close = Math.max(1, this.price * (1 + (rand() - 0.5) * 0.004));
      rand();
      rand();
      rand();
      this.price = close;
    }
  }
}

/** `count` candles of the walk with this seed (for files backtest-kit reads, and small series). */
export function syntheticCandles(count: number, seed: number): Candle[] {
  const walk = new Walk(seed);
  return Array.from({ length: count }, () => walk.next());
}

export interface SyntheticSeries {
  count: number;
  seed: number;
  /** The series as given (small ones the bench also writes to files), instead of generated. */
  candles?: Candle[];
}

/**
 * A candle store over generated series that answers like the real one (CandleDbService): ranges
 * `[from, to)` oldest first, at most `limit` candles per answer, so the columnar cache is built
 * page by page exactly as from MongoDB, and never holds more than a page of candle objects.
 * Inserting 10^6 candles into the benchmark's database would take minutes; with a warm columnar
 * cache MongoDB is only asked for the range's count and first/last timestamps either way.
 */
export class SyntheticStore implements CandleStore {
  private readonly walks = new Map<string, Walk>();

  constructor(private readonly series: Map<string, SyntheticSeries>) {}

  /** Index range [first, end) of the series inside the range. */
  private window(s: SyntheticSeries, range: { from?: number; to?: number }): [number, number] {
    if (s.candles) {
      const inRange = (t: number) => (range.from === undefined || t >= range.from) && (range.to === undefined || t < range.to);
      const first = s.candles.findIndex((c) => inRange(c.timestamp));
      if (first < 0) return [0, 0];
      let end = first;
      while (end < s.candles.length && inRange(s.candles[end]!.timestamp)) end++;
      return [first, end];
    }
    const first = Math.max(0, Math.ceil(((range.from ?? T0) - T0) / MIN));
    const end = Math.min(s.count, Math.ceil(((range.to ?? Infinity) - T0) / MIN));
    return [first, Math.max(first, end)];
  }

  async countRange(range: CandleRange): Promise<number> {
    const s = this.series.get(range.symbol);
    if (!s) return 0;
    const [first, end] = this.window(s, range);
    return end - first;
  }

  async findRange(range: CandleRange): Promise<Candle[]> {
    const s = this.series.get(range.symbol);
    if (!s) return [];
    const [first, whole] = this.window(s, range);
    const end = Math.min(whole, first + (range.limit ?? Infinity));
    if (s.candles) return s.candles.slice(first, end);
    let walk = this.walks.get(range.symbol);
    if (!walk) this.walks.set(range.symbol, (walk = new Walk(s.seed)));
    walk.seek(first);
    const out: Candle[] = new Array(end - first);
    for (let i = 0; i < out.length; i++) out[i] = walk.next();
    return out;
  }

  /** The range oldest first in one pass, as the app's store (market/candle-store.ts) streams it from a MongoDB cursor. */
  async *stream(range: CandleRange): AsyncGenerator<Candle> {
    const s = this.series.get(range.symbol);
    if (!s) return;
    const [first, end] = this.window(s, range);
    if (s.candles) {
      for (let i = first; i < end; i++) yield s.candles[i]!;
      return;
    }
    const walk = new Walk(s.seed);
    walk.seek(first);
    for (let i = first; i < end; i++) yield walk.next();
  }

  async findByFilter(filter: Record<string, unknown>, options: { sort?: Record<string, 1 | -1>; limit?: number }): Promise<Array<{ timestamp: number }>> {
    const s = this.series.get(String(filter.symbol));
    if (!s) return [];
    const bounds = (filter.timestamp ?? {}) as { $gte?: number; $lt?: number };
    const [first, end] = this.window(s, { from: bounds.$gte, to: bounds.$lt });
    if (end <= first) return [];
    const index = options.sort?.timestamp === -1 ? end - 1 : first;
    return [{ timestamp: s.candles ? s.candles[index]!.timestamp : T0 + index * MIN }];
  }
}
