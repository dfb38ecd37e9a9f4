import type { PipelineStage } from 'mongoose';
import { INTERVAL_MS, type Candle, type CandleKey, type Interval } from '../../../shared/candles';
import { candleDocuments, CandleDbService, rangeFilter, type BulkUpsertResult, type CandleRange } from '../db/candle-db-service';
import { isDuplicateKeyError } from '../db/errors';
import { SeriesCatalog, type SeriesSummary } from './candle-catalog';

/** One line of `listStored()`: what the database holds for an exchange, symbol and interval. */
export type StoredSeries = SeriesSummary;

export interface TimeKeysetRequest extends CandleKey {
  limit: number;
  /** The `next` of the previous page (a timestamp); absent for the first page. */
  after?: number;
  /** 1 = oldest first (default), -1 = newest first. */
  direction?: 1 | -1;
  from?: number;
  to?: number;
}

export interface TimeKeysetPage {
  items: Candle[];
  /** Pass back as `after`; undefined on the last page. */
  next?: number;
}

/** An OHLCV bucket: open = first open, high = max, low = min, close = last close, volume = sum. */
export interface CandleBucket extends Candle {
  /** How many stored candles the bucket aggregates. */
  count: number;
}

export const MAX_PAGE = 10_000;

const OHLCV_PROJECTION = { _id: 0, timestamp: 1, open: 1, high: 1, low: 1, close: 1, volume: 1 } as const;

function checkPageLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new RangeError(`limit must be a whole number from 1 to ${MAX_PAGE}, got ${limit}`);
  }
}

/**
 * The candle collection as the market-data code reads it: the foundation's CandleDbService plus
 * the queries history, coverage and download need. Every query is served by the unique index
 * {exchangeName, symbol, interval, timestamp}.
 */
export type CandlesWrittenListener = (key: CandleKey, candles: readonly Candle[]) => void;
/** Candles of `key` in `[from, to)` (the whole series when both are absent) were deleted. */
export type CandlesDeletedListener = (key: CandleKey, range: { from?: number; to?: number }) => void;

const timeBounds = (candles: readonly Candle[]): { first: number; last: number } => {
  let first = Infinity;
  let last = -Infinity;
  for (const c of candles) {
    if (c.timestamp < first) first = c.timestamp;
    if (c.timestamp > last) last = c.timestamp;
  }
  return { first, last };
};

export class CandleStore extends CandleDbService {
  private readonly writtenListeners = new Set<CandlesWrittenListener>();
  private readonly deletedListeners = new Set<CandlesDeletedListener>();
  /** One document per series, kept by every write below: listing never groups the candles. */
  readonly catalog = new SeriesCatalog(this.model.db, {
    scanAll: () => this.scanStored(),
    measure: async (key) => {
      const [count, first, last] = await Promise.all([this.countRange(key), this.oldestTimestamp(key), this.newestTimestamp(key)]);
      return count > 0 && first !== undefined && last !== undefined ? { ...keyOnly(key), count, first, last } : undefined;
    },
  });

  onDeleted(listener: CandlesDeletedListener): () => void {
    this.deletedListeners.add(listener);
    return () => this.deletedListeners.delete(listener);
  }

  /**
   * Every write first makes sure the catalog exists (built from the candles stored before it, so the
   * write is added to it exactly once), then stores its candles, then calls this.
   * The catalog follows a write that already stored its candles. If the catalog cannot be updated
   * the series is measured again; if that fails too the write fails, saying the candles are stored.
   */
  private async catalogAdded(key: CandleKey, inserted: number, candles: readonly Candle[]): Promise<void> {
    if (candles.length === 0) return;
    try {
      if (inserted > 0) {
        const { first, last } = timeBounds(candles);
        await this.catalog.added(keyOnly(key), inserted, first, last);
      } else if (!(await this.catalog.get(key))) {
        // Nothing new, yet the catalog does not know the series: another program wrote it.
        await this.catalog.refresh(keyOnly(key));
      }
    } catch (error) {
      try {
        await this.catalog.refresh(keyOnly(key));
      } catch {
        throw new Error(
          `${key.exchangeName} ${key.symbol} ${key.interval}: the candles are stored, but the series catalog could not be updated (${error instanceof Error ? error.message : String(error)})`,
        );
      }
    }
  }

  /** Called after every successful write through this store with the candles now stored (the chart cache follows them). */
  onWritten(listener: CandlesWrittenListener): () => void {
    this.writtenListeners.add(listener);
    return () => this.writtenListeners.delete(listener);
  }

  private notifyWritten(key: CandleKey, candles: readonly Candle[]): void {
    if (candles.length === 0) return;
    for (const listener of this.writtenListeners) listener(key, candles);
  }

  override async bulkUpsert(key: CandleKey, candles: readonly Candle[], batchSize?: number): Promise<BulkUpsertResult> {
    await this.catalog.ensureBuilt();
    const result = await super.bulkUpsert(key, candles, batchSize);
    this.notifyWritten(key, candles);
    await this.catalogAdded(key, result.inserted, candles);
    return result;
  }

  override async upsertCandle(key: CandleKey, candle: Candle): ReturnType<CandleDbService['upsertCandle']> {
    await this.catalog.ensureBuilt();
    const stored = await super.upsertCandle(key, candle);
    this.notifyWritten(key, [candle]);
    // An upsert that inserted sets both dates at once; an update moves only updatedDate.
    const dates = stored as { createDate?: Date; updatedDate?: Date };
    if (dates.createDate instanceof Date && dates.updatedDate instanceof Date) {
      await this.catalogAdded(key, dates.createDate.getTime() === dates.updatedDate.getTime() ? 1 : 0, [candle]);
    } else {
      await this.catalog.refresh(keyOnly(key));
    }
    return stored;
  }

  /**
   * Deletes `[from, to)` of one series (all of it without a range). The chart's overview drops its
   * copy and the catalog measures the series again (or forgets it when nothing is left).
   */
  override async deleteRange(range: Omit<CandleRange, 'limit'>): Promise<number> {
    await this.catalog.ensureBuilt();
    const deleted = await super.deleteRange(range);
    const key = keyOnly(range);
    for (const listener of this.deletedListeners) listener(key, { from: range.from, to: range.to });
    if (deleted > 0) await this.catalog.refresh(key);
    return deleted;
  }

  /** Candles of `[from, to)` as plain OHLCV, oldest first. */
  async range(range: CandleRange): Promise<Candle[]> {
    let query = this.model.find(rangeFilter(range), OHLCV_PROJECTION).sort({ timestamp: 1 });
    if (range.limit !== undefined) query = query.limit(range.limit);
    return query.lean<Candle[]>();
  }

  /** The newest `count` candles (optionally before `to`), returned oldest first. */
  async latest(key: CandleKey, count: number, to?: number): Promise<Candle[]> {
    checkPageLimit(count);
    const docs = await this.model
      .find(rangeFilter({ ...key, to }), OHLCV_PROJECTION)
      .sort({ timestamp: -1 })
      .limit(count)
      .lean<Candle[]>();
    return docs.reverse();
  }

  /** Keyset pagination on the timestamp: every page costs one index seek, however deep. */
  async page(request: TimeKeysetRequest): Promise<TimeKeysetPage> {
    checkPageLimit(request.limit);
    const direction = request.direction ?? 1;
    let { from, to } = request;
    if (request.after !== undefined) {
      if (direction === 1) from = Math.max(from ?? -Infinity, request.after + 1);
      else to = Math.min(to ?? Infinity, request.after);
    }
    const docs = await this.model
      .find(rangeFilter({ ...request, from, to }), OHLCV_PROJECTION)
      .sort({ timestamp: direction })
      .limit(request.limit + 1)
      .lean<Candle[]>();
    const items = docs.slice(0, request.limit);
    return { items, next: docs.length > request.limit ? items[items.length - 1]?.timestamp : undefined };
  }

  async oldestTimestamp(key: CandleKey, from?: number, to?: number): Promise<number | undefined> {
    const doc = await this.model.findOne(rangeFilter({ ...key, from, to }), { _id: 0, timestamp: 1 }).sort({ timestamp: 1 }).lean<{ timestamp: number }>();
    return doc?.timestamp;
  }

  async newestTimestamp(key: CandleKey, from?: number, to?: number): Promise<number | undefined> {
    const doc = await this.model.findOne(rangeFilter({ ...key, from, to }), { _id: 0, timestamp: 1 }).sort({ timestamp: -1 }).lean<{ timestamp: number }>();
    return doc?.timestamp;
  }

  /** Open times of `[from, to)` in order, streamed from a cursor (constant memory). */
  async *timestamps(range: CandleRange): AsyncGenerator<number> {
    const cursor = this.model
      .find(rangeFilter(range), { _id: 0, timestamp: 1 })
      .sort({ timestamp: 1 })
      .lean<{ timestamp: number }[]>()
      .cursor({ batchSize: 5000 });
    try {
      for await (const doc of cursor) yield (doc as { timestamp: number }).timestamp;
    } finally {
      await cursor.close();
    }
  }

  /** Candles of `[from, to)` in order, streamed from a cursor (constant memory). */
  async *stream(range: CandleRange): AsyncGenerator<Candle> {
    const cursor = this.model.find(rangeFilter(range), OHLCV_PROJECTION).sort({ timestamp: 1 }).lean<Candle[]>().cursor({ batchSize: 5000 });
    try {
      for await (const doc of cursor) yield doc as Candle;
    } finally {
      await cursor.close();
    }
  }

  /**
   * OHLCV buckets of `bucketMs` starting at `origin + k * bucketMs`, computed by the database
   * (one $group over the index range), oldest first.
   */
  async buckets(range: CandleRange, origin: number, bucketMs: number): Promise<CandleBucket[]> {
    const pipeline: PipelineStage[] = [
      { $match: rangeFilter(range) },
      // $first/$last follow the input order, so the sort makes them the open and the close.
      { $sort: { timestamp: 1 } },
      {
        $group: {
          _id: { $subtract: ['$timestamp', { $mod: [{ $subtract: ['$timestamp', origin] }, bucketMs] }] },
          open: { $first: '$open' },
          high: { $max: '$high' },
          low: { $min: '$low' },
          close: { $last: '$close' },
          volume: { $sum: '$volume' },
          count: { $sum: 1 },
        },
      },
      { $sort: { _id: 1 } },
    ];
    const rows = await this.aggregate<Omit<CandleBucket, 'timestamp'> & { _id: number }>(pipeline);
    return rows.map(({ _id, open, high, low, close, volume, count }) => ({ timestamp: _id, open, high, low, close, volume, count }));
  }

  /**
   * Stores already-validated candles the cheap way first: a plain unordered insert, which the
   * unique index turns into an E11000 for each candle already stored; only those are then
   * upserted. Fresh history (the common import) costs one insert per candle instead of an
   * upsert's lookup-then-write, and nothing is ever duplicated.
   */
  async insertOrUpsert(key: CandleKey, candles: readonly Candle[]): Promise<BulkUpsertResult> {
    if (candles.length === 0) return { inserted: 0, modified: 0, matched: 0 };
    // With createDate / updatedDate, as @backtest-kit/mongo's documents (a raw insert skips mongoose's timestamps).
    const docs = candleDocuments(key, candles);
    await this.catalog.ensureBuilt();
    try {
      const result = await this.model.collection.insertMany(docs, { ordered: false });
      this.notifyWritten(key, candles);
      await this.catalogAdded(key, candles.length, candles);
      return { inserted: result.insertedCount, modified: 0, matched: 0 };
    } catch (error) {
      const e = error as { writeErrors?: Array<{ index: number; code?: number }> | { index: number; code?: number } };
      const writeErrors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
      if (writeErrors.length === 0 || !writeErrors.every((w) => w.code === 11000 || isDuplicateKeyError(w))) throw error;
      // Unordered: every candle without a write error was inserted. (Not `insertedCount`: some
      // servers, mongo-java-server among them, count the refused documents too.)
      const inserted = candles.length - writeErrors.length;
      const refused = new Set(writeErrors.map((w) => w.index));
      const fresh = candles.filter((_, i) => !refused.has(i));
      this.notifyWritten(key, fresh);
      await this.catalogAdded(key, fresh.length, fresh);
      // bulkUpsert reports the rest (and adds what it inserted to the catalog).
      const again = await this.bulkUpsert(key, writeErrors.map((w) => candles[w.index]!));
      return { inserted: inserted + again.inserted, modified: again.modified, matched: again.matched };
    }
  }

  /**
   * Every stored exchange/symbol/interval with its count and time range, from the series catalog
   * (one small document per series; built once from the candles on a database that has none).
   */
  async listStored(): Promise<StoredSeries[]> {
    return sortSeries(await this.catalog.list());
  }

  /** What the catalog holds for one series (undefined: no candles stored). */
  seriesSummary(key: CandleKey): Promise<SeriesSummary | undefined> {
    return this.catalog.get(keyOnly(key));
  }

  /** The catalog made again from every candle (a $group over the whole collection: slow on big ones). */
  async rebuildCatalog(): Promise<StoredSeries[]> {
    return sortSeries(await this.catalog.rebuild());
  }

  /** Every series as the candle documents hold them: one $group over all candles (the catalog's migration). */
  private async scanStored(): Promise<StoredSeries[]> {
    const rows = await this.aggregate<{ _id: CandleKey; count: number; first: number; last: number }>([
      {
        $group: {
          _id: { exchangeName: '$exchangeName', symbol: '$symbol', interval: '$interval' },
          count: { $sum: 1 },
          first: { $min: '$timestamp' },
          last: { $max: '$timestamp' },
        },
      },
    ]);
    return rows.map(({ _id, count, first, last }) => ({ exchangeName: _id.exchangeName, symbol: _id.symbol, interval: _id.interval, count, first, last }));
  }
}

const keyOnly = (key: CandleKey): CandleKey => ({ exchangeName: key.exchangeName, symbol: key.symbol, interval: key.interval });

function sortSeries(series: StoredSeries[]): StoredSeries[] {
  return series.sort(
    (a, b) => a.exchangeName.localeCompare(b.exchangeName) || a.symbol.localeCompare(b.symbol) || INTERVAL_MS[a.interval as Interval] - INTERVAL_MS[b.interval as Interval],
  );
}
