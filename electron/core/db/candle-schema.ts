import type { Connection, Model } from 'mongoose';
import type { StoredCandle } from '../../../shared/candles';
import { CANDLE_ITEMS, documentSchema } from '../backtest-kit/documents';

export const CANDLE_COLLECTION = CANDLE_ITEMS.name;

/**
 * @backtest-kit/mongo's candle-items schema: the key (exchangeName, symbol, interval, timestamp)
 * with a single-field index each and the compound unique index, flat OHLCV, and mongoose
 * timestamps as `createDate` / `updatedDate`.
 */
export const candleSchema = documentSchema(CANDLE_ITEMS);

/** A stored candle document as written: the candle, its key, and the two Dates. */
export type CandleDocument = StoredCandle & { createDate?: Date; updatedDate?: Date };

export function candleModel(conn: Connection): Model<StoredCandle> {
  return (conn.models.Candle as Model<StoredCandle> | undefined) ?? conn.model<StoredCandle>('Candle', candleSchema as never);
}
