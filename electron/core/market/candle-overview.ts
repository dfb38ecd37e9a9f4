import type { Candle, CandleKey } from '../../../shared/candles';
import { CandleColumns } from './candle-columns';
import type { CandleStore } from './candle-store';

export interface CandleOverviewOptions {
  /** Memory budget for all cached series together; the least recently used go first. 2,000,000 candles ≈ 96 MB. */
  maxCandles?: number;
  /** How often (at most) a cached series is compared with MongoDB in the background. */
  checkEveryMs?: number;
  /** Where a failed background check or build is reported (the app's log). */
  onError?: (message: string, error: unknown) => void;
}

interface Entry {
  columns: CandleColumns;
  usedAt: number;
  checkedAt: number;
  /** Last time our own write path touched the series: a check right after would race the write. */
  writtenAt: number;
}

const seriesId = (key: CandleKey): string => JSON.stringify([key.exchangeName, key.symbol, key.interval]);

/**
 * Stored candle series held in memory as columns, so a chart at any zoom is folded in
 * milliseconds instead of grouping every document in MongoDB at view time. A series is read from
 * MongoDB once (one streamed scan) when first viewed, and kept current by the store's own write
 * path (import and download write through CandleStore, which reports every stored batch here).
 * Writers outside this process (backtest-kit, another app instance) are caught by a background
 * comparison of count and first/last timestamp with MongoDB, after which the series is read again.
 */
export class CandleOverview {
  private readonly entries = new Map<string, Entry>();
  private readonly building = new Map<string, Promise<CandleColumns>>();
  /** Batches stored while a series is being read: applied on top once the read is done. */
  private readonly writtenWhileBuilding = new Map<string, Candle[][]>();
  private readonly maxCandles: number;
  private readonly checkEveryMs: number;
  private readonly onError: (message: string, error: unknown) => void;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: CandleStore,
    options: CandleOverviewOptions = {},
  ) {
    this.maxCandles = options.maxCandles ?? 2_000_000;
    this.checkEveryMs = options.checkEveryMs ?? 30_000;
    this.onError = options.onError ?? ((message, error) => console.error(`${message}: ${error instanceof Error ? error.message : String(error)}`));
    this.unsubscribe = store.onWritten((key, candles) => this.written(key, candles));
  }

  close(): void {
    this.unsubscribe();
    this.entries.clear();
  }

  /** Whether the series is in memory now (a chart for it will not touch MongoDB). */
  has(key: CandleKey): boolean {
    return this.entries.has(seriesId(key));
  }

  /** The series' columns, read from MongoDB first if they are not held. */
  async columns(key: CandleKey): Promise<CandleColumns> {
    const id = seriesId(key);
    const entry = this.entries.get(id);
    if (entry) {
      entry.usedAt = Date.now();
      this.maybeCheck(key, entry);
      return entry.columns;
    }
    let pending = this.building.get(id);
    if (!pending) {
      this.writtenWhileBuilding.set(id, []);
      pending = this.build(key).finally(() => {
        this.building.delete(id);
        this.writtenWhileBuilding.delete(id);
      });
      this.building.set(id, pending);
    }
    return pending;
  }

  private async build(key: CandleKey): Promise<CandleColumns> {
    const columns = new CandleColumns(4096);
    let batch: Candle[] = [];
    for await (const candle of this.store.stream(key)) {
      batch.push(candle);
      if (batch.length === 10_000) {
        columns.upsert(batch);
        batch = [];
      }
    }
    columns.upsert(batch);
    for (const written of this.writtenWhileBuilding.get(seriesId(key)) ?? []) columns.upsert(written);
    const now = Date.now();
    this.entries.set(seriesId(key), { columns, usedAt: now, checkedAt: now, writtenAt: now });
    this.evict();
    return columns;
  }

  /** Called by the store after each stored batch: the held series takes the same candles. */
  private written(key: CandleKey, candles: readonly Candle[]): void {
    const id = seriesId(key);
    this.writtenWhileBuilding.get(id)?.push([...candles]);
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.columns.upsert(candles);
    entry.writtenAt = Date.now();
    this.evict();
  }

  private evict(): void {
    let total = 0;
    for (const e of this.entries.values()) total += e.columns.length;
    if (total <= this.maxCandles) return;
    const byAge = [...this.entries.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt);
    for (const [id, e] of byAge) {
      if (total <= this.maxCandles || this.entries.size === 1) break;
      this.entries.delete(id);
      total -= e.columns.length;
    }
  }

  /** In the background, at most every `checkEveryMs`: does MongoDB still hold what we hold? */
  private maybeCheck(key: CandleKey, entry: Entry): void {
    const now = Date.now();
    if (now - entry.checkedAt < this.checkEveryMs || now - entry.writtenAt < this.checkEveryMs) return;
    entry.checkedAt = now;
    void this.check(key, entry).catch((error: unknown) => {
      // Unverified is not served again: the next view reads the series from MongoDB.
      if (this.entries.get(seriesId(key)) === entry) this.entries.delete(seriesId(key));
      this.onError(`candle overview: cannot compare ${key.exchangeName} ${key.symbol} ${key.interval} with the database, dropped the cached copy`, error);
    });
  }

  private async check(key: CandleKey, entry: Entry): Promise<void> {
    const [count, first, last] = await Promise.all([this.store.countRange(key), this.store.oldestTimestamp(key), this.store.newestTimestamp(key)]);
    const columns = entry.columns;
    const same = count === columns.length && first === columns.oldest() && last === columns.newest();
    // Our own write in the meantime makes the comparison moot; the next check will see it settled.
    if (!same && this.entries.get(seriesId(key)) === entry && Date.now() - entry.writtenAt >= this.checkEveryMs) this.entries.delete(seriesId(key));
  }
}

const overviews = new WeakMap<CandleStore, CandleOverview>();

/** The overview that follows `store`'s writes, created on first use (one per store). */
export function overviewOf(store: CandleStore): CandleOverview {
  let overview = overviews.get(store);
  if (!overview) {
    overview = new CandleOverview(store);
    overviews.set(store, overview);
  }
  return overview;
}
