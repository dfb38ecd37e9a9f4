import { z } from 'zod';
import { INTERVALS } from '../candles';
import { strategyParamsSchema } from './strategies';

/**
 * Run requests, run status and the per-run event stream, as the engine produces them and the UI
 * contract carries them. Vocabulary: DESIGN.md §2 (backtest-kit's terms).
 *
 * The signal-row and notification shapes mirror the persistence subsystems' rows (Storage,
 * Notification); if shared/domain/signals.ts / notifications.ts land, these should re-export them.
 */

const timestamp = z.number().int().nonnegative();
const name = z.string().trim().min(1, 'must not be empty').max(200);

export const RUN_KINDS = ['backtest', 'paper', 'live'] as const;
export const RUN_STATUSES = ['queued', 'running', 'completed', 'stopped', 'failed'] as const;
export const FINAL_RUN_STATUSES = ['completed', 'stopped', 'failed'] as const;
export const runKindSchema = z.enum(RUN_KINDS);
export const runStatusSchema = z.enum(RUN_STATUSES);

/** Paper replay speeds the UI offers; 0 means "as fast as possible". Any positive multiplier works. */
export const REPLAY_SPEEDS = [1, 10, 60, 0] as const;

export const costModelSchema = z.object({
  /** Fee per side, in percent of the traded value (backtest-kit's default: 0.1). */
  feePercent: z.number().min(0).max(10).default(0.1),
  /** Slippage per side, in percent of the price (backtest-kit's default: 0.1). */
  slippagePercent: z.number().min(0).max(10).default(0.1),
});

export const runRequestSchema = z
  .object({
    kind: runKindSchema,
    strategyName: name,
    params: strategyParamsSchema.default({}),
    exchangeName: name,
    /** Names the frame in stored rows (backtest-kit's frameName); defaults to `<interval>:<from>-<to>`. */
    frameName: name.optional(),
    symbols: z.array(name).min(1, 'choose at least one symbol').max(50),
    interval: z.enum(INTERVALS),
    /** Backtest and paper replay: the frame's range, ms, `from` inclusive, `to` exclusive. */
    from: timestamp.optional(),
    to: timestamp.optional(),
    /** Paper replay speed multiplier: 1 = real time, 60 = one hour per minute, 0 = as fast as possible. */
    replaySpeed: z.number().nonnegative().max(1_000_000).default(0),
    costs: costModelSchema.default({ feePercent: 0.1, slippagePercent: 0.1 }),
    /** How long a scheduled signal waits for its entry price before it is cancelled (`timeout`). */
    scheduleTimeoutMinutes: z.number().positive().max(525_600).default(120),
  })
  .superRefine((v, ctx) => {
    if (v.kind !== 'live') {
      if (v.from === undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: `required for a ${v.kind} run` });
      if (v.to === undefined) ctx.addIssue({ code: 'custom', path: ['to'], message: `required for a ${v.kind} run` });
    }
    if (v.from !== undefined && v.to !== undefined && v.to <= v.from) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    }
    if (new Set(v.symbols).size !== v.symbols.length) ctx.addIssue({ code: 'custom', path: ['symbols'], message: 'lists a symbol twice' });
  });

export const POSITIONS = ['long', 'short'] as const;
/** Stored status of a signal row. "active" is a lifecycle event, stored as `opened`. */
export const SIGNAL_STATUSES = ['scheduled', 'opened', 'closed', 'cancelled'] as const;
export const SIGNAL_TRANSITIONS = ['scheduled', 'opened', 'active', 'closed', 'cancelled'] as const;
export const CLOSE_REASONS = ['take_profit', 'stop_loss', 'time_expired'] as const;
export const CANCEL_REASONS = ['timeout', 'price_reject', 'user'] as const;

export const signalRowSchema = z.object({
  signalId: name,
  runId: z.string().optional(),
  symbol: name,
  strategyName: name,
  exchangeName: z.string(),
  frameName: z.string().optional(),
  backtest: z.boolean(),
  position: z.enum(POSITIONS),
  status: z.enum(SIGNAL_STATUSES),
  priceOpen: z.number().finite(),
  priceTakeProfit: z.number().finite(),
  priceStopLoss: z.number().finite(),
  minuteEstimatedTime: z.number().positive(),
  note: z.string().optional(),
  /** The strategy emitted a scheduled signal at `scheduledAt`, a market one at `openedAt`. */
  scheduledAt: timestamp.optional(),
  openedAt: timestamp.optional(),
  closedAt: timestamp.optional(),
  priceClose: z.number().finite().optional(),
  pnlPercent: z.number().finite().optional(),
  closeReason: z.enum(CLOSE_REASONS).optional(),
  cancelReason: z.enum(CANCEL_REASONS).optional(),
});

export const NOTIFICATION_TYPES = [
  'signal.opened',
  'signal.closed',
  'signal.scheduled',
  'signal.cancelled',
  'partial_profit.available',
  'partial_loss.available',
  'breakeven.available',
  'risk.rejection',
  'error.info',
  'error.critical',
  'error.validation',
  'run.started',
  'run.progress',
  'run.completed',
  'run.failed',
] as const;

export const notificationSchema = z.object({
  notificationId: name,
  type: z.enum(NOTIFICATION_TYPES),
  backtest: z.boolean(),
  runId: z.string().optional(),
  symbol: z.string().optional(),
  strategyName: z.string().optional(),
  signalId: z.string().optional(),
  title: z.string(),
  message: z.string(),
  createdAt: timestamp,
  read: z.boolean(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export const runStatsSchema = z.object({
  trades: z.number().int().nonnegative(),
  wins: z.number().int().nonnegative(),
  losses: z.number().int().nonnegative(),
  /** 0..1; null without trades. */
  winRate: z.number().min(0).max(1).nullable(),
  totalPnlPercent: z.number().finite(),
  avgPnlPercent: z.number().finite().nullable(),
  /** Largest fall of the equity curve from a previous peak, in percentage points (>= 0). */
  maxDrawdownPercent: z.number().finite().nonnegative(),
  /** Mean over sample standard deviation of per-trade PnL %, not annualised; null under 2 trades. */
  sharpe: z.number().finite().nullable(),
  /** Gross profit over gross loss; null when there is no loss. */
  profitFactor: z.number().nonnegative().nullable(),
});

export const equityPointSchema = z.object({ timestamp, equity: z.number().finite() });

export const runProgressSchema = z.object({
  processed: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  /** 0..1 */
  progress: z.number().min(0).max(1),
  etaMs: z.number().nonnegative().optional(),
});

export const runSummarySchema = z.object({
  runId: name,
  kind: runKindSchema,
  status: runStatusSchema,
  strategyName: name,
  exchangeName: z.string(),
  frameName: z.string(),
  symbols: z.array(z.string()).min(1),
  interval: z.enum(INTERVALS),
  from: timestamp.optional(),
  to: timestamp.optional(),
  params: strategyParamsSchema,
  progress: z.number().min(0).max(1),
  processed: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  etaMs: z.number().nonnegative().optional(),
  createdAt: timestamp,
  startedAt: timestamp.optional(),
  endedAt: timestamp.optional(),
  error: z.string().optional(),
  stats: runStatsSchema.optional(),
});

export const runDetailSchema = runSummarySchema.extend({
  request: runRequestSchema,
  equity: z.array(equityPointSchema),
  signals: z.array(signalRowSchema),
  /** Per-symbol statistics of a multi-symbol run. */
  statsBySymbol: z.record(z.string(), runStatsSchema),
});

const eventBase = { runId: name, at: timestamp };

/** One typed stream per run; the run manager emits these in order. */
export const runEventSchema = z.discriminatedUnion('type', [
  z.object({ ...eventBase, type: z.literal('status'), status: runStatusSchema, error: z.string().optional(), stats: runStatsSchema.optional() }),
  z.object({ ...eventBase, type: z.literal('progress'), ...runProgressSchema.shape }),
  z.object({ ...eventBase, type: z.literal('signal'), transition: z.enum(SIGNAL_TRANSITIONS), signal: signalRowSchema }),
  z.object({ ...eventBase, type: z.literal('notification'), notification: notificationSchema }),
  z.object({
    ...eventBase,
    type: z.literal('state'),
    subsystem: z.enum(['session', 'state', 'memory']),
    symbol: z.string().optional(),
    signalId: z.string().optional(),
    bucketName: z.string().optional(),
    memoryId: z.string().optional(),
    value: z.unknown(),
  }),
]);

export type RunKind = z.infer<typeof runKindSchema>;
export type RunStatus = z.infer<typeof runStatusSchema>;
export type CostModel = z.infer<typeof costModelSchema>;
export type RunRequestInput = z.input<typeof runRequestSchema>;
export type RunRequest = z.output<typeof runRequestSchema>;
export type Position = (typeof POSITIONS)[number];
export type SignalStatus = (typeof SIGNAL_STATUSES)[number];
export type SignalTransition = (typeof SIGNAL_TRANSITIONS)[number];
export type CloseReason = (typeof CLOSE_REASONS)[number];
export type CancelReason = (typeof CANCEL_REASONS)[number];
export type SignalRow = z.infer<typeof signalRowSchema>;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];
export type RunNotification = z.infer<typeof notificationSchema>;
export type RunStats = z.infer<typeof runStatsSchema>;
export type EquityPoint = z.infer<typeof equityPointSchema>;
export type RunProgress = z.infer<typeof runProgressSchema>;
export type RunSummary = z.infer<typeof runSummarySchema>;
export type RunDetail = z.infer<typeof runDetailSchema>;
export type RunEvent = z.infer<typeof runEventSchema>;
