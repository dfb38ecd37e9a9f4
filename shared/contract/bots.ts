import { z } from 'zod';
import { notificationSchema } from '../domain/notifications';
import { timestampSchema } from '../domain/common';

/**
 * The Bots view: what backtest-kit bots (any process using @backtest-kit/mongo) left in the
 * database, read as they wrote it. backtest-kit's own rows (ISignalRow, StrategyStatus,
 * IStorageSignalRow, …) are wide and change between releases, so they travel as plain records and
 * the UI shows them field by field; only what the list and the statistics need is typed here.
 */

export const BOT_MODES = ['live', 'backtest'] as const;
export const botModeSchema = z.enum(BOT_MODES);

const keyName = z.string().trim().min(1, 'must not be empty').max(200);

/** One bot: backtest-kit's (strategy, exchange, symbol, frame) in one mode. Live bots have frameName "". */
export const botKeySchema = z.object({
  strategyName: keyName,
  exchangeName: keyName,
  symbol: keyName,
  frameName: z.string().max(200),
  mode: botModeSchema,
});

/** A backtest-kit row as stored under `payload`. */
export const botRecordSchema = z.record(z.string(), z.unknown());

/** How the monitor learns that a bot wrote something. */
export const botWatchSchema = z.object({
  mode: z.enum(['change-stream', 'poll', 'off']),
  /** Poll period; absent for change streams. */
  intervalMs: z.number().int().positive().optional(),
  /** Why this mode: "replica set rs0", "standalone server: no change streams", "no database". */
  detail: z.string(),
});

export const botLivePnlSchema = z.object({
  /** backtest-kit's formula (fees and slippage both sides, leverage): what the bot would book if it closed now. */
  pnlPercentage: z.number(),
  pnlCost: z.number(),
  priceClose: z.number(),
  /** The newest stored candle the price comes from. */
  candleTimestamp: timestampSchema,
  interval: z.string(),
});

export const botPositionSchema = z.object({
  signalId: z.string(),
  position: z.enum(['long', 'short']),
  priceOpen: z.number(),
  priceTakeProfit: z.number(),
  priceStopLoss: z.number(),
  pendingAt: timestampSchema.optional(),
  cost: z.number().optional(),
});

export const botSummarySchema = botKeySchema.extend({
  /** open: a position in signal-items; scheduled: a signal waiting in schedule-items; idle: neither. */
  state: z.enum(['open', 'scheduled', 'idle']),
  paused: z.boolean(),
  position: botPositionSchema.optional(),
  livePnl: botLivePnlSchema.optional(),
  /** Newest `updatedDate` among the bot's documents. */
  lastActivity: timestampSchema.optional(),
  /** Collections the bot was found in. */
  collections: z.array(z.string()),
});

export const botStatsSchema = z.object({
  closed: z.number().int().nonnegative(),
  cancelled: z.number().int().nonnegative(),
  wins: z.number().int().nonnegative(),
  losses: z.number().int().nonnegative(),
  /** 0..100, absent without closed signals. */
  winRate: z.number().optional(),
  totalPnlPercent: z.number(),
  avgPnlPercent: z.number().optional(),
  bestPnlPercent: z.number().optional(),
  worstPnlPercent: z.number().optional(),
  totalPnlCost: z.number(),
  /** Gross profit / gross loss; absent when there was no loss. */
  profitFactor: z.number().optional(),
  byCloseReason: z.record(z.string(), z.number().int().nonnegative()),
});

const stamped = { when: z.number().optional(), updatedAt: timestampSchema.optional() };

export const botDetailSchema = z.object({
  summary: botSummarySchema,
  signal: botRecordSchema.nullable(),
  scheduled: botRecordSchema.nullable(),
  status: botRecordSchema.nullable(),
  risk: z.array(z.object({ riskName: z.string(), exchangeName: z.string(), positions: z.array(botRecordSchema), ...stamped })),
  partials: z.array(z.object({ signalId: z.string(), value: z.unknown(), ...stamped })),
  breakevens: z.array(z.object({ signalId: z.string(), value: z.unknown(), ...stamped })),
  session: z.object({ value: z.unknown(), ...stamped }).nullable(),
  recent: botRecordSchema.nullable(),
  state: z.array(z.object({ signalId: z.string(), bucketName: z.string(), value: z.unknown(), ...stamped })),
  memory: z.array(
    z.object({ signalId: z.string(), bucketName: z.string(), memoryId: z.string(), value: z.unknown(), removed: z.boolean(), index: z.string().optional(), ...stamped }),
  ),
  /** Newest first (storage-items: IStorageSignalRow), at most BOT_SIGNAL_LIMIT. */
  signals: z.array(botRecordSchema),
  /** How many storage rows the bot has in all (signals may be fewer). */
  signalsTotal: z.number().int().nonnegative(),
  stats: botStatsSchema,
  /** Newest first, at most BOT_NOTIFICATION_LIMIT. */
  notifications: z.array(notificationSchema),
});

export const BOT_SIGNAL_LIMIT = 200;
export const BOT_NOTIFICATION_LIMIT = 100;

export const botsListRequest = z.object({}).strict();
export const botsListResponse = z.object({ bots: z.array(botSummarySchema), watch: botWatchSchema });
export const botsGetRequest = botKeySchema.strict();
export const botsGetResponse = z.object({ bot: botDetailSchema, watch: botWatchSchema });

/** Something a bot wrote: the UI refetches the list and, if it is open, that bot. */
export const botsChangedEvent = z.object({
  /** Bots whose documents changed; empty when the change could not be tied to a bot (state, memory, risk). */
  bots: z.array(botKeySchema),
  collections: z.array(z.string()),
  watch: botWatchSchema,
  at: timestampSchema,
});

export type BotMode = z.infer<typeof botModeSchema>;
export type BotKey = z.infer<typeof botKeySchema>;
export type BotRecord = z.infer<typeof botRecordSchema>;
export type BotWatch = z.infer<typeof botWatchSchema>;
export type BotLivePnl = z.infer<typeof botLivePnlSchema>;
export type BotPosition = z.infer<typeof botPositionSchema>;
export type BotSummary = z.infer<typeof botSummarySchema>;
export type BotStats = z.infer<typeof botStatsSchema>;
export type BotDetail = z.infer<typeof botDetailSchema>;
export type BotsChanged = z.infer<typeof botsChangedEvent>;

/** A stable id for a bot (route segments, React keys). */
export function botIdOf(key: BotKey): string {
  return [key.mode, key.strategyName, key.exchangeName, key.symbol, key.frameName].map(encodeURIComponent).join('~');
}

export function botKeyFromId(id: string): BotKey | undefined {
  const parts = id.split('~');
  if (parts.length !== 5) return undefined;
  let decoded: string[];
  try {
    decoded = parts.map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const parsed = botKeySchema.safeParse({ mode: decoded[0], strategyName: decoded[1], exchangeName: decoded[2], symbol: decoded[3], frameName: decoded[4] });
  return parsed.success ? parsed.data : undefined;
}

export function sameBot(a: BotKey, b: BotKey): boolean {
  return a.mode === b.mode && a.strategyName === b.strategyName && a.exchangeName === b.exchangeName && a.symbol === b.symbol && a.frameName === b.frameName;
}
