import type { AnyBulkWriteOperation, Connection } from 'mongoose';
import { candleViolations, InvalidCandleError, type Candle, type CandleKey, type StoredCandle } from '../../../shared/candles';
import { BaseCRUD, type Stored } from './base-crud';
import { candleModel } from './candle-schema';

export interface BulkUpsertResult {
  /** Documents that did not exist before. */
  inserted: number;
  /** Existing documents whose values changed. */
  modified: number;
  /** Existing documents found (changed or not). */
  matched: number;
}

export interface CandleRange extends CandleKey {
  /** Inclusive, ms. */
  from?: number;
  /** Exclusive, ms. */
  to?: number;
  limit?: number;
}

export const BULK_BATCH_SIZE = 1000;

/** Stored candles read back as candles with their key: the document's Dates, `_id` and `__v` left out. */
const CANDLE_FIELDS_ONLY = { _id: 0, createDate: 0, updatedDate: 0, __v: 0 } as const;

/**
 * Full candle-items documents for a raw driver insert (which bypasses mongoose's timestamps):
 * key, OHLCV, `createDate` / `updatedDate` as @backtest-kit/mongo writes them, and `__v`.
 */
export function candleDocuments(key: CandleKey, candles: readonly Candle[], now = new Date()): Array<StoredCandle & { createDate: Date; updatedDate: Date; __v: 0 }> {
  return candles.map((c) => ({ ...keyOf(key, c.timestamp), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, createDate: now, updatedDate: now, __v: 0 }));
}

type CandleDocKey = Pick<StoredCandle, 'exchangeName' | 'symbol' | 'interval' | 'timestamp'>;

function keyOf(key: CandleKey, timestamp: number): CandleDocKey {
  return { exchangeName: key.exchangeName, symbol: key.symbol, interval: key.interval, timestamp };
}

export function rangeFilter(range: CandleRange): Record<string, unknown> {
  const filter: Record<string, unknown> = { exchangeName: range.exchangeName, symbol: range.symbol, interval: range.interval };
  if (range.from !== undefined || range.to !== undefined) {
    filter.timestamp = {
      ...(range.from !== undefined ? { $gte: range.from } : {}),
      ...(range.to !== undefined ? { $lt: range.to } : {}),
    };
  }
  return filter;
}

/** Validates every candle first so a bad one stops the whole write before anything is stored. */
function assertValid(key: CandleKey, candles: readonly Candle[]): void {
  for (let i = 0; i < candles.length; i++) {
    const violations = candleViolations(candles[i]!, key.interval);
    if (violations.length > 0) throw new InvalidCandleError(violations, `#${i} (${key.exchangeName} ${key.symbol} ${key.interval})`);
  }
}

export class CandleDbService extends BaseCRUD<StoredCandle> {
  constructor(conn: Connection) {
    super(candleModel(conn));
  }

  async ensureIndexes(): Promise<void> {
    await this.ready();
  }

  async upsertCandle(key: CandleKey, candle: Candle): Promise<Stored<StoredCandle>> {
    assertValid(key, [candle]);
    const { timestamp, open, high, low, close, volume } = candle;
    return this.upsert(keyOf(key, timestamp), { open, high, low, close, volume });
  }

  /**
   * Idempotent bulk upsert: unordered `bulkWrite` batches keyed on the unique index, so a re-import
   * updates in place and concurrent writers of the same keys never duplicate a document.
   *
   * Unlike @backtest-kit/mongo (`$setOnInsert`: a bot's first write of a candle wins), an import
   * here `$set`s: importing a file is the user's explicit correction of stored history, and the
   * result reports how many candles it changed. The key and `_id` stay, so a bot's Redis cache of
   * the `_id` stays valid. `createDate` and `updatedDate` are set when the candle is first stored (so
   * an identical re-import modifies nothing); `upsertCandle` moves `updatedDate` on every write.
   */
  async bulkUpsert(key: CandleKey, candles: readonly Candle[], batchSize = BULK_BATCH_SIZE): Promise<BulkUpsertResult> {
    assertValid(key, candles);
    await this.ready();
    const total: BulkUpsertResult = { inserted: 0, modified: 0, matched: 0 };
    for (let start = 0; start < candles.length; start += batchSize) {
      const ops: AnyBulkWriteOperation<StoredCandle>[] = [];
      const now = new Date();
      for (let i = start; i < Math.min(start + batchSize, candles.length); i++) {
        const { timestamp, open, high, low, close, volume } = candles[i]!;
        ops.push({
          updateOne: {
            filter: keyOf(key, timestamp),
            // Dates set on insert only: a re-import of the same values changes nothing (modified: 0).
            update: { $set: { open, high, low, close, volume }, $setOnInsert: { createDate: now, updatedDate: now, __v: 0 } },
            upsert: true,
            timestamps: false,
          },
        });
      }
      const result = await this.writeBatchWithRetry(ops);
      total.inserted += result.inserted;
      total.modified += result.modified;
      total.matched += result.matched;
    }
    return total;
  }

  /** Racing upserts of the same new key: the loser's op fails with E11000; re-running it then matches. */
  private async writeBatchWithRetry(ops: AnyBulkWriteOperation<StoredCandle>[]): Promise<BulkUpsertResult> {
    const out: BulkUpsertResult = { inserted: 0, modified: 0, matched: 0 };
    let pending = ops;
    for (let attempt = 1; pending.length > 0; attempt++) {
      try {
        const r = await this.model.bulkWrite(pending, { ordered: false });
        out.inserted += r.upsertedCount;
        out.modified += r.modifiedCount;
        out.matched += r.matchedCount;
        return out;
      } catch (error) {
        const e = error as {
          writeErrors?: Array<{ code?: number; index?: number; err?: { code?: number; index?: number } }>;
          result?: { upsertedCount?: number; modifiedCount?: number; matchedCount?: number };
        };
        const writeErrors = e.writeErrors ?? [];
        const allDuplicates = writeErrors.length > 0 && writeErrors.every((w) => (w.code ?? w.err?.code) === 11000);
        if (!allDuplicates || attempt >= 5) throw error;
        out.inserted += e.result?.upsertedCount ?? 0;
        out.modified += e.result?.modifiedCount ?? 0;
        out.matched += e.result?.matchedCount ?? 0;
        pending = writeErrors.map((w) => pending[w.index ?? w.err?.index ?? -1]).filter((op): op is AnyBulkWriteOperation<StoredCandle> => op !== undefined);
      }
    }
    return out;
  }

  /** Candles of `[from, to)`, oldest first. */
  async findRange(range: CandleRange): Promise<StoredCandle[]> {
    const filter = rangeFilter(range);
    let query = this.model.find(filter, CANDLE_FIELDS_ONLY).sort({ timestamp: 1 });
    if (range.limit !== undefined) query = query.limit(range.limit);
    return query.lean<StoredCandle[]>();
  }

  async countRange(range: CandleRange): Promise<number> {
    const filter = rangeFilter(range);
    return this.model.countDocuments(filter);
  }

  /**
   * Deletes the candles of `[from, to)` of one series (the whole series without a range) and
   * nothing else: the filter always carries the full key, so another exchange, symbol or interval
   * is never touched. Returns how many documents went.
   */
  async deleteRange(range: Omit<CandleRange, 'limit'>): Promise<number> {
    const filter = rangeFilter({ exchangeName: range.exchangeName, symbol: range.symbol, interval: range.interval, from: range.from, to: range.to });
    const result = await this.model.deleteMany(filter);
    return result.deletedCount ?? 0;
  }
}
