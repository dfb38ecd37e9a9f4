import { z } from 'zod';
import { INTERVALS } from '../candles';
import { notificationSchema, type Notification } from './notifications';
import { signalRowSchema, type CancelReason, type CloseReason, type Position, type SignalRow, type SignalStatus } from './signals';
import { strategyParamsSchema } from './strategies';

export { notificationSchema, signalRowSchema };
export type { CancelReason, CloseReason, Position, SignalRow, SignalStatus };

/**
 * Run requests, run status and the per-run event stream, as the engine produces them and the UI
 * contract carries them. Vocabulary: DESIGN.md §2 (backtest-kit's terms).
 *
 * Signal rows and notifications are the persistence subsystems' own shapes (signals.ts,
 * notifications.ts), re-exported here so engine code has one import.
 */

const timestamp = z.number().int().nonnegative();
const name = z.string().trim().min(1, 'must not be empty').max(200);

/** The name a user gives a run in the Sessions view (runs.rename). */
export const RUN_NAME_MAX = 80;
export const runNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(RUN_NAME_MAX, `must be at most ${RUN_NAME_MAX} characters`)
  // One line: a name is shown in lists and written to the log.
  .regex(/^\P{Cc}*$/u, 'must be one line without control characters');

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

/**
 * The account the compounded statistics assume: each trade puts `positionSizePercent` of the balance
 * at that moment at risk. Optional on the request (older clients and stored runs): absent means
 * DEFAULT_ACCOUNT.
 */
export const accountSchema = z.object({
  startingBalance: z.number().positive('must be more than 0').max(1e15),
  positionSizePercent: z.number().positive('must be more than 0').max(100, 'must be 100 or less'),
});
export const DEFAULT_ACCOUNT = { startingBalance: 10_000, positionSizePercent: 100 } as const;

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
    account: accountSchema.optional(),
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

/** Lifecycle transitions on the run's event stream; "active" is stored as status `opened`. */
export const SIGNAL_TRANSITIONS = ['scheduled', 'opened', 'active', 'closed', 'cancelled'] as const;

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
  // Below: optional so summaries stored before they existed still parse.
  /** Compounded account: balance after every closed trade, each risking positionSizePercent of the balance. */
  startingBalance: z.number().finite().optional(),
  positionSizePercent: z.number().finite().optional(),
  finalBalance: z.number().finite().nonnegative().optional(),
  /** (finalBalance / startingBalance − 1) × 100; never below −100. */
  returnPercent: z.number().finite().optional(),
  /** Largest fall of the compounded balance from a previous peak, percent of that peak (0..100). */
  equityMaxDrawdownPercent: z.number().finite().nonnegative().optional(),
  /** backtest-kit's statistics set (its definitions and sample-size gates: ratios need 10 trades). */
  sharpeRatio: z.number().finite().nullable().optional(),
  annualizedSharpeRatio: z.number().finite().nullable().optional(),
  sortinoRatio: z.number().finite().nullable().optional(),
  calmarRatio: z.number().finite().nullable().optional(),
  certaintyRatio: z.number().finite().nullable().optional(),
  expectancy: z.number().finite().nullable().optional(),
  recoveryFactor: z.number().finite().nullable().optional(),
  expectedYearlyReturns: z.number().finite().nullable().optional(),
  medianPnlPercent: z.number().finite().nullable().optional(),
  /** Mean minutes from open to close. */
  avgDurationMinutes: z.number().finite().nullable().optional(),
  /** Mean best and worst unrealised PnL % inside trades; null when the rows do not record them. */
  avgPeakPnlPercent: z.number().finite().nullable().optional(),
  avgFallPnlPercent: z.number().finite().nullable().optional(),
  /** Positions still open at the end (not in `trades`, which counts closed ones). */
  openTrades: z.number().int().nonnegative().optional(),
});

/** `equity`: sum of trade PnL % so far (backtest-kit's totalPnl); `balance`: the compounded account. */
export const equityPointSchema = z.object({ timestamp, equity: z.number().finite(), balance: z.number().finite().nonnegative().optional() });

/** A running backtest's trades closed so far and the sum of their PnL % (its statistics come when it ends). */
export const runTallySchema = z.object({ trades: z.number().int().nonnegative(), pnlPercent: z.number().finite() });

export const runProgressSchema = z.object({
  processed: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  /** 0..1 */
  progress: z.number().min(0).max(1),
  etaMs: z.number().nonnegative().optional(),
  tally: runTallySchema.optional(),
});

export const runSummarySchema = z.object({
  runId: name,
  /** The user's name for the run (runs.rename); absent until one is given. */
  name: z.string().optional(),
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
  /** Backtests while running: trades closed so far (see runTallySchema); `stats` replaces it at the end. */
  tally: runTallySchema.optional(),
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
export type Account = z.infer<typeof accountSchema>;
export type RunRequestInput = z.input<typeof runRequestSchema>;
export type RunRequest = z.output<typeof runRequestSchema>;
export type SignalTransition = (typeof SIGNAL_TRANSITIONS)[number];
export type RunNotification = Notification;
export type RunStats = z.infer<typeof runStatsSchema>;
export type EquityPoint = z.infer<typeof equityPointSchema>;
export type RunProgress = z.infer<typeof runProgressSchema>;
export type RunSummary = z.infer<typeof runSummarySchema>;
export type RunTally = z.infer<typeof runTallySchema>;
export type RunDetail = z.infer<typeof runDetailSchema>;
export type RunEvent = z.infer<typeof runEventSchema>;
