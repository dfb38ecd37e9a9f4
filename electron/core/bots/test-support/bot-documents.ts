import { randomUUID } from 'node:crypto';
import type { Db } from '../raw';

/**
 * Writes documents the way @backtest-kit/mongo 19.5.0 does (its `findOneAndUpdate` upserts on the
 * unique key, mongoose timestamps renamed createDate/updatedDate, `__v` on insert), so tests and
 * the e2e bot stand-in look to the monitor exactly like a real bot in another process. Layouts
 * follow ../shared/data/backtest-kit/mongo-19.5.0-documents.json.
 */

type Doc = Record<string, unknown>;

async function upsert(db: Db, collection: string, filter: Doc, set: Doc): Promise<void> {
  const now = new Date();
  await db
    .collection(collection)
    .findOneAndUpdate(filter, { $set: { ...set, updatedDate: now }, $setOnInsert: { ...filter, createDate: now, __v: 0 } }, { upsert: true });
}

export interface BotIdentity {
  strategyName: string;
  exchangeName: string;
  symbol: string;
  /** "" for a live bot. */
  frameName: string;
}

const pnl0 = (price: number, timestamp: number) => ({ price, timestamp, pnlPercentage: 0, pnlCost: 0, priceClose: 0, priceOpen: 0, pnlEntries: 0 });

/** An ISignalRow as backtest-kit persists an open position (signal-items payload). */
export function signalRow(bot: BotIdentity, o: { id?: string; position?: 'long' | 'short'; priceOpen: number; priceTakeProfit: number; priceStopLoss: number; at: number; cost?: number }): Doc {
  const cost = o.cost ?? 100;
  return {
    position: o.position ?? 'long',
    priceTakeProfit: o.priceTakeProfit,
    priceStopLoss: o.priceStopLoss,
    minuteEstimatedTime: 60,
    note: 'probe',
    id: o.id ?? randomUUID(),
    cost,
    priceOpen: o.priceOpen,
    multiplier: 1,
    isolated: true,
    symbol: bot.symbol,
    exchangeName: bot.exchangeName,
    strategyName: bot.strategyName,
    frameName: bot.frameName,
    scheduledAt: o.at,
    pendingAt: o.at,
    timestamp: o.at,
    _isScheduled: false,
    _entry: [{ price: o.priceOpen, cost, timestamp: o.at }],
    _peak: pnl0(o.priceOpen, o.at),
    _fall: pnl0(o.priceOpen, o.at),
  };
}

/** backtest-kit's StrategyStatus (strategy-items payload). */
export function strategyStatus(o: { pendingSignalId?: string | null; isPaused?: boolean; retryOpenCount?: number; commitQueue?: Doc[] } = {}): Doc {
  return {
    pendingSignalId: o.pendingSignalId ?? null,
    lastPendingId: o.pendingSignalId ?? null,
    createdSignal: null,
    commitQueue: o.commitQueue ?? [],
    closedSignal: null,
    cancelledSignal: null,
    activatedSignal: null,
    takeProfitSignal: null,
    stopLossSignal: null,
    retryOpenSignal: null,
    retryOpenCount: o.retryOpenCount ?? 0,
    retryCloseCount: 0,
    isPaused: o.isPaused ?? false,
  };
}

/** A NotificationModel of a signal type (the fields every signal notification carries). */
export function signalNotification(bot: BotIdentity, type: string, signal: Doc, o: { at: number; currentPrice: number; backtest?: boolean; extra?: Doc }): Doc {
  return {
    type,
    id: randomUUID(),
    timestamp: o.at,
    backtest: o.backtest ?? false,
    symbol: bot.symbol,
    strategyName: bot.strategyName,
    exchangeName: bot.exchangeName,
    signalId: signal.id,
    position: signal.position,
    currentPrice: o.currentPrice,
    priceOpen: signal.priceOpen,
    priceTakeProfit: signal.priceTakeProfit,
    priceStopLoss: signal.priceStopLoss,
    originalPriceTakeProfit: signal.priceTakeProfit,
    originalPriceStopLoss: signal.priceStopLoss,
    originalPriceOpen: signal.priceOpen,
    totalEntries: 1,
    totalPartials: 0,
    cost: signal.cost,
    multiplier: 1,
    isolated: true,
    pnlPercentage: -0.3996003996003995,
    note: 'probe',
    scheduledAt: o.at,
    pendingAt: o.at,
    createdAt: o.at,
    ...o.extra,
  };
}

/** `payload: null` is how a bot records that its position closed. */
export const writeSignal = (db: Db, bot: BotIdentity, payload: Doc | null): Promise<void> =>
  upsert(db, 'signal-items', { symbol: bot.symbol, strategyName: bot.strategyName, exchangeName: bot.exchangeName }, { payload });

export const writeSchedule = (db: Db, bot: BotIdentity, payload: Doc): Promise<void> =>
  upsert(db, 'schedule-items', { symbol: bot.symbol, strategyName: bot.strategyName, exchangeName: bot.exchangeName }, { payload });

export const writeStrategyStatus = (db: Db, bot: BotIdentity, payload: Doc): Promise<void> =>
  upsert(db, 'strategy-items', { symbol: bot.symbol, strategyName: bot.strategyName, exchangeName: bot.exchangeName }, { payload });

export const writeNotification = (db: Db, payload: Doc): Promise<void> =>
  upsert(db, 'notification-items', { backtest: payload.backtest === true, notificationId: payload.id }, { payload });

export const writeStorage = (db: Db, backtest: boolean, payload: Doc): Promise<void> =>
  upsert(db, 'storage-items', { backtest, signalId: payload.id }, { payload });

export const writeSession = (db: Db, bot: BotIdentity, backtest: boolean, data: unknown, when: number): Promise<void> =>
  upsert(
    db,
    'session-items',
    { strategyName: bot.strategyName, exchangeName: bot.exchangeName, frameName: bot.frameName, symbol: bot.symbol, backtest },
    { payload: { id: `${bot.symbol}:${bot.strategyName}:${bot.exchangeName}:${backtest ? 'backtest' : 'live'}`, data, when }, when },
  );

export const writeState = (db: Db, signalId: string, bucketName: string, data: unknown, when: number): Promise<void> =>
  upsert(db, 'state-items', { signalId, bucketName }, { payload: { id: `${signalId}_${bucketName}`, data, when }, when });

export const writeMemory = (db: Db, signalId: string, bucketName: string, memoryId: string, data: unknown, when: number): Promise<void> =>
  upsert(db, 'memory-items', { signalId, bucketName, memoryId }, { payload: { data, priority: Date.now(), removed: false, index: 'probe memory', when }, removed: false, when });

export const writePartial = (db: Db, bot: BotIdentity, signalId: string, payload: Doc, when: number): Promise<void> =>
  upsert(db, 'partial-items', { symbol: bot.symbol, strategyName: bot.strategyName, exchangeName: bot.exchangeName, signalId }, { payload, when });

export const writeBreakeven = (db: Db, bot: BotIdentity, signalId: string, payload: Doc, when: number): Promise<void> =>
  upsert(db, 'breakeven-items', { symbol: bot.symbol, strategyName: bot.strategyName, exchangeName: bot.exchangeName, signalId }, { payload, when });

/** Memory's soft delete, as @backtest-kit/mongo does it: the flag on the document and in its payload. */
export async function removeMemory(db: Db, signalId: string, bucketName: string, memoryId: string): Promise<void> {
  await db.collection('memory-items').findOneAndUpdate({ signalId, bucketName, memoryId }, { $set: { removed: true, 'payload.removed': true, updatedDate: new Date() } });
}

export const writeRisk = (db: Db, riskName: string, exchangeName: string, positions: Array<[string, Doc]>, when: number): Promise<void> =>
  upsert(db, 'risk-items', { riskName, exchangeName }, { positions, when });

/** candle-items: flat OHLCV, first write wins ($setOnInsert). */
export async function writeCandle(db: Db, c: { exchangeName: string; symbol: string; interval: string; timestamp: number; open: number; high: number; low: number; close: number; volume: number }): Promise<void> {
  const now = new Date();
  const { exchangeName, symbol, interval, timestamp, ...ohlcv } = c;
  await db
    .collection('candle-items')
    .findOneAndUpdate({ exchangeName, symbol, interval, timestamp }, { $setOnInsert: { ...ohlcv, createDate: now, __v: 0 }, $set: { updatedDate: now } }, { upsert: true });
}

/**
 * One NotificationModel of each of backtest-kit 19.5.0's 31 types, with the fields its type
 * declares (types.d.ts), for the UI test that every type reads as a title, a message and details.
 */
export function everyNotificationType(bot: BotIdentity, signal: Doc, at: number): Doc[] {
  const base = (type: string, extra: Doc = {}): Doc => signalNotification(bot, type, signal, { at, currentPrice: 101, extra });
  const pnl = { pnl: { pnlPercentage: 0.6, priceOpen: 100.1, priceClose: 100.9, pnlCost: 0.6, pnlEntries: 100 } };
  const order = { orderType: 'active', attempt: 2 };
  const error = (type: string, message: string): Doc => ({ type, id: randomUUID(), error: { name: 'Error', message }, message, backtest: false });
  return [
    base('signal.opened', pnl),
    base('signal.closed', { ...pnl, priceClose: 102, closeReason: 'take_profit', duration: 42 }),
    base('signal.scheduled', { priceOpen: 99.5 }),
    base('signal.cancelled', { cancelReason: 'timeout', cancelId: 'c1', duration: 60 }),
    base('signal.info', { note: 'adding to the position soon' }),
    base('partial_profit.available', { level: 30 }),
    base('partial_profit.commit', { percentToClose: 25 }),
    base('partial_loss.available', { level: 20 }),
    base('partial_loss.commit', { percentToClose: 10 }),
    base('breakeven.available'),
    base('breakeven.commit', { priceStopLoss: 100 }),
    base('average_buy.commit', { totalEntries: 2, effectivePriceOpen: 99.6 }),
    base('activate_scheduled.commit', { activateId: 'a1' }),
    base('trailing_stop.commit', { percentShift: 0.5, priceStopLoss: 99.5 }),
    base('trailing_take.commit', { percentShift: 0.4, priceTakeProfit: 102.4 }),
    base('cancel_scheduled.commit', { cancelId: 'c2' }),
    base('close_pending.commit', { closeId: 'x1', ...pnl }),
    base('order_sync.open', order),
    base('order_sync.close', { ...order, closeReason: 'stop_loss' }),
    base('order_sync.check', order),
    base('order_continue.check', order),
    base('order_stop.check', { ...order, reason: 'exhausted' }),
    base('order_fill.open', order),
    base('order_fill.close', { ...order, closeReason: 'take_profit' }),
    base('order_reject.open', { ...order, message: 'insufficient balance' }),
    base('order_reject.close', { ...order, message: 'reduce-only order rejected', closeReason: 'stop_loss' }),
    base('risk.rejection', { rejectionNote: 'at most 3 positions', rejectionId: 'r1', activePositionCount: 3, minuteEstimatedTime: 60, signalNote: 'probe' }),
    error('error.info', 'exchange answered slowly'),
    error('error.critical', 'exchange connection lost'),
    error('error.validation', 'take profit below entry'),
    { type: 'strategy.pause', id: randomUUID(), timestamp: at, backtest: false, symbol: bot.symbol, strategyName: bot.strategyName, exchangeName: bot.exchangeName, frameName: bot.frameName, paused: true, createdAt: at },
  ];
}
