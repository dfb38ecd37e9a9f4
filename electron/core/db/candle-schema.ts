import { Schema, type Connection, type Model } from 'mongoose';
import { INTERVALS, type StoredCandle } from '../../../shared/candles';

export const CANDLE_COLLECTION = 'candle-items';

export const candleSchema = new Schema<StoredCandle>(
  {
    exchangeName: { type: String, required: true },
    symbol: { type: String, required: true },
    interval: { type: String, required: true, enum: INTERVALS },
    timestamp: { type: Number, required: true },
    open: { type: Number, required: true },
    high: { type: Number, required: true },
    low: { type: Number, required: true },
    close: { type: Number, required: true },
    volume: { type: Number, required: true },
  },
  { versionKey: false, collection: CANDLE_COLLECTION },
);

// Context key of @backtest-kit/mongo's candle-items; also what makes re-imports idempotent.
candleSchema.index({ exchangeName: 1, symbol: 1, interval: 1, timestamp: 1 }, { unique: true });

export function candleModel(conn: Connection): Model<StoredCandle> {
  return (conn.models.Candle as Model<StoredCandle> | undefined) ?? conn.model<StoredCandle>('Candle', candleSchema);
}
