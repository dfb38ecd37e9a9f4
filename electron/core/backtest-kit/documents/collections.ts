import { Schema, type SchemaDefinition } from 'mongoose';

/**
 * Every collection @backtest-kit/mongo defines (19.5.0, plus 20.1.0's dictionary-items), as its
 * build declares them: the key fields (each with a single-field index), the value fields, the
 * compound unique index on the key in that order, and the extra indexes. Read from
 * node_modules/@backtest-kit/mongo/build/index.mjs (its README is older than the code).
 */
export interface CollectionDef {
  /** Collection (and @backtest-kit/mongo model) name. */
  name: string;
  /** The unique key, in index order. */
  key: readonly string[];
  /** Key and value fields, as mongoose schema paths (`index: true` gives the single-field index). */
  fields: SchemaDefinition;
  /** Indexes besides the single-field ones and the compound unique key. */
  extraIndexes?: ReadonlyArray<Record<string, 1 | -1>>;
  /** Which package version introduced it (dictionary-items needs backtest-kit ^20.1). */
  since: '19.5.0' | '20.1.0';
}

const keyString = { type: String, required: true, index: true } as const;
const keyBoolean = { type: Boolean, required: true, index: true } as const;
const payload = { type: Schema.Types.Mixed, required: true } as const;
const payloadDefaultEmpty = { type: Schema.Types.Mixed, required: true, default: {} } as const;
const when = { type: Number, required: true, index: true } as const;
const removed = { type: Boolean, required: true, default: false, index: true } as const;

/** backtest-kit's CandleInterval values the candle schema accepts. */
export const CANDLE_INTERVALS = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '1d'] as const;

export const CANDLE_ITEMS: CollectionDef = {
  name: 'candle-items',
  key: ['exchangeName', 'symbol', 'interval', 'timestamp'],
  fields: {
    symbol: keyString,
    interval: { type: String, required: true, enum: CANDLE_INTERVALS, index: true },
    timestamp: { type: Number, required: true, index: true },
    exchangeName: keyString,
    open: { type: Number, required: true },
    high: { type: Number, required: true },
    low: { type: Number, required: true },
    close: { type: Number, required: true },
    volume: { type: Number, required: true },
  },
  since: '19.5.0',
};

const bySignalContext = (name: string): CollectionDef => ({
  name,
  key: ['symbol', 'strategyName', 'exchangeName'],
  fields: { symbol: keyString, strategyName: keyString, exchangeName: keyString, payload },
  since: '19.5.0',
});

/** The open position (ISignalRow). */
export const SIGNAL_ITEMS = bySignalContext('signal-items');
/** The scheduled signal waiting for its entry price (IScheduledSignalRow). */
export const SCHEDULE_ITEMS = bySignalContext('schedule-items');
/** StrategyStatus: pending ids, commit queue, pause flag, retry counts. */
export const STRATEGY_ITEMS = bySignalContext('strategy-items');

/** A risk profile's active positions: `positions` (not `payload`) and `when`. */
export const RISK_ITEMS: CollectionDef = {
  name: 'risk-items',
  key: ['riskName', 'exchangeName'],
  fields: { riskName: keyString, exchangeName: keyString, positions: { type: Schema.Types.Mixed, required: true, default: [] }, when },
  since: '19.5.0',
};

const perSignal = (name: string): CollectionDef => ({
  name,
  key: ['symbol', 'strategyName', 'exchangeName', 'signalId'],
  fields: { symbol: keyString, strategyName: keyString, exchangeName: keyString, signalId: keyString, payload: payloadDefaultEmpty, when },
  since: '19.5.0',
});

/** Partial profit/loss levels reached by a signal. */
export const PARTIAL_ITEMS = perSignal('partial-items');
/** Whether a signal reached breakeven. */
export const BREAKEVEN_ITEMS = perSignal('breakeven-items');

/** Signal rows (IStorageSignalRow) per mode. */
export const STORAGE_ITEMS: CollectionDef = {
  name: 'storage-items',
  key: ['backtest', 'signalId'],
  fields: { backtest: keyBoolean, signalId: keyString, payload },
  since: '19.5.0',
};

/** Notifications (NotificationModel) per mode; listed newest `createDate` first. */
export const NOTIFICATION_ITEMS: CollectionDef = {
  name: 'notification-items',
  key: ['backtest', 'notificationId'],
  fields: { backtest: keyBoolean, notificationId: keyString, payload },
  extraIndexes: [{ backtest: 1, createDate: -1 }],
  since: '19.5.0',
};

/** Log entries (ILogEntry). */
export const LOG_ITEMS: CollectionDef = {
  name: 'log-items',
  key: ['entryId'],
  fields: { entryId: { type: String, required: true, index: true }, payload },
  extraIndexes: [{ createDate: -1 }],
  since: '19.5.0',
};

/** Measure (cached metric) entries with a soft delete. */
export const MEASURE_ITEMS: CollectionDef = {
  name: 'measure-items',
  key: ['bucket', 'entryKey'],
  fields: { bucket: keyString, entryKey: keyString, payload, removed },
  extraIndexes: [{ bucket: 1, removed: 1 }],
  since: '19.5.0',
};

/** Interval task entries with a soft delete and `when`. */
export const INTERVAL_ITEMS: CollectionDef = {
  name: 'interval-items',
  key: ['bucket', 'entryKey'],
  fields: { bucket: keyString, entryKey: keyString, payload, removed, when },
  extraIndexes: [{ bucket: 1, removed: 1 }],
  since: '19.5.0',
};

/** A signal's memory: payload {data, priority, removed, index, when}; top-level `removed` (soft delete) and `when`. */
export const MEMORY_ITEMS: CollectionDef = {
  name: 'memory-items',
  key: ['signalId', 'bucketName', 'memoryId'],
  fields: { signalId: keyString, bucketName: keyString, memoryId: keyString, payload, removed, when },
  extraIndexes: [{ signalId: 1, bucketName: 1, removed: 1 }],
  since: '19.5.0',
};

/** The latest public signal (IPublicSignalRow) per context and mode. */
export const RECENT_ITEMS: CollectionDef = {
  name: 'recent-items',
  key: ['symbol', 'strategyName', 'exchangeName', 'frameName', 'backtest'],
  fields: { symbol: keyString, strategyName: keyString, exchangeName: keyString, frameName: keyString, backtest: keyBoolean, payload, when },
  since: '19.5.0',
};

/** A signal's state: payload {id, data, when}. */
export const STATE_ITEMS: CollectionDef = {
  name: 'state-items',
  key: ['signalId', 'bucketName'],
  fields: { signalId: keyString, bucketName: keyString, payload, when },
  since: '19.5.0',
};

/** A strategy's session per (strategy, exchange, frame, symbol, mode): payload {id, data, when}. */
export const SESSION_ITEMS: CollectionDef = {
  name: 'session-items',
  key: ['strategyName', 'exchangeName', 'frameName', 'symbol', 'backtest'],
  fields: { strategyName: keyString, exchangeName: keyString, frameName: keyString, symbol: keyString, backtest: keyBoolean, payload, when },
  since: '19.5.0',
};

/** @backtest-kit/mongo 20.1.0: a signal's named dictionaries. */
export const DICTIONARY_ITEMS: CollectionDef = {
  name: 'dictionary-items',
  key: ['signalId', 'dictionaryName'],
  fields: { signalId: keyString, dictionaryName: keyString, payload, when },
  since: '20.1.0',
};

export const BACKTEST_KIT_COLLECTIONS: readonly CollectionDef[] = [
  CANDLE_ITEMS,
  SIGNAL_ITEMS,
  SCHEDULE_ITEMS,
  STRATEGY_ITEMS,
  RISK_ITEMS,
  PARTIAL_ITEMS,
  BREAKEVEN_ITEMS,
  STORAGE_ITEMS,
  NOTIFICATION_ITEMS,
  LOG_ITEMS,
  MEASURE_ITEMS,
  INTERVAL_ITEMS,
  MEMORY_ITEMS,
  RECENT_ITEMS,
  STATE_ITEMS,
  SESSION_ITEMS,
  DICTIONARY_ITEMS,
];

/** The monitor's own collections (not backtest-kit's), laid out the same way: key fields, `payload`, Dates. */
export const DUMP_ITEMS: CollectionDef = {
  name: 'dump-items',
  key: ['dumpId'],
  fields: { dumpId: keyString, payload },
  since: '19.5.0',
};

export const MARKDOWN_ITEMS: CollectionDef = {
  name: 'markdown-items',
  key: ['reportName'],
  fields: { reportName: keyString, payload },
  since: '19.5.0',
};

export function collectionDef(name: string): CollectionDef | undefined {
  return [...BACKTEST_KIT_COLLECTIONS, DUMP_ITEMS, MARKDOWN_ITEMS].find((c) => c.name === name);
}
