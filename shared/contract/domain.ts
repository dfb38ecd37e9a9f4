import { z } from 'zod';
import { INTERVALS } from '../candles';

/**
 * Minimal domain schemas the contract needs. The engine (shared/domain/runs.ts, strategies.ts) and
 * persistence (shared/domain/notifications.ts, signals.ts) engineers own the real ones; the
 * contract switches to them as they land, so keep these shapes aligned with DESIGN.md §2.
 */

export const intervalSchema = z.enum(INTERVALS);

/** Milliseconds since the epoch (UTC). */
export const timestampSchema = z.number().int().nonnegative();

export const nonEmptyName = z.string().trim().min(1, 'must not be empty').max(200);

export const candleSchema = z.object({
  timestamp: timestampSchema,
  open: z.number().finite(),
  high: z.number().finite(),
  low: z.number().finite(),
  close: z.number().finite(),
  volume: z.number().finite().nonnegative(),
});

export const seriesKeySchema = z.object({
  exchangeName: nonEmptyName,
  symbol: nonEmptyName,
  interval: intervalSchema,
});

export const RUN_KINDS = ['backtest', 'live', 'paper'] as const;
export const runKindSchema = z.enum(RUN_KINDS);

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'stopped'] as const;
export const runStatusSchema = z.enum(RUN_STATUSES);

export const POSITIONS = ['long', 'short'] as const;
export const SIGNAL_STATUSES = ['scheduled', 'opened', 'closed', 'cancelled'] as const;
export const CLOSE_REASONS = ['take_profit', 'stop_loss', 'time_expired'] as const;
export const CANCEL_REASONS = ['timeout', 'price_reject', 'user'] as const;

export const signalRowSchema = z.object({
  signalId: nonEmptyName,
  runId: z.string().optional(),
  symbol: nonEmptyName,
  strategyName: nonEmptyName,
  exchangeName: z.string(),
  frameName: z.string().optional(),
  backtest: z.boolean(),
  position: z.enum(POSITIONS),
  status: z.enum(SIGNAL_STATUSES),
  priceOpen: z.number().finite(),
  priceTakeProfit: z.number().finite(),
  priceStopLoss: z.number().finite(),
  minuteEstimatedTime: z.number().nonnegative(),
  note: z.string().optional(),
  scheduledAt: timestampSchema.optional(),
  openedAt: timestampSchema.optional(),
  closedAt: timestampSchema.optional(),
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
export const notificationTypeSchema = z.enum(NOTIFICATION_TYPES);

export const notificationSchema = z.object({
  notificationId: nonEmptyName,
  type: notificationTypeSchema,
  backtest: z.boolean(),
  runId: z.string().optional(),
  symbol: z.string().optional(),
  strategyName: z.string().optional(),
  signalId: z.string().optional(),
  title: z.string(),
  message: z.string(),
  createdAt: timestampSchema,
  read: z.boolean(),
  /** Type-specific details (prices, pnl, close reason); shown as-is by the UI. */
  data: z.record(z.string(), z.unknown()).optional(),
});

export const runStatsSchema = z.object({
  trades: z.number().int().nonnegative(),
  wins: z.number().int().nonnegative(),
  losses: z.number().int().nonnegative(),
  winRate: z.number().min(0).max(1).nullable(),
  totalPnlPercent: z.number().finite(),
  avgPnlPercent: z.number().finite().nullable(),
  maxDrawdownPercent: z.number().finite(),
  sharpe: z.number().finite().nullable(),
  profitFactor: z.number().nonnegative().nullable(),
});

export const equityPointSchema = z.object({ timestamp: timestampSchema, equity: z.number().finite() });

const paramValueSchema = z.union([z.number().finite(), z.string(), z.boolean()]);
export const strategyParamsSchema = z.record(z.string(), paramValueSchema);

export const runSummarySchema = z.object({
  runId: nonEmptyName,
  kind: runKindSchema,
  status: runStatusSchema,
  strategyName: nonEmptyName,
  exchangeName: z.string(),
  symbols: z.array(z.string()).min(1),
  interval: intervalSchema,
  from: timestampSchema.optional(),
  to: timestampSchema.optional(),
  params: strategyParamsSchema,
  /** 0..1 */
  progress: z.number().min(0).max(1),
  etaMs: z.number().nonnegative().optional(),
  startedAt: timestampSchema,
  endedAt: timestampSchema.optional(),
  error: z.string().optional(),
  stats: runStatsSchema.optional(),
});

export const runDetailSchema = runSummarySchema.extend({
  equity: z.array(equityPointSchema),
  signals: z.array(signalRowSchema),
});

export const PARAM_TYPES = ['number', 'integer', 'boolean', 'string', 'enum'] as const;
export const paramFieldSchema = z.object({
  name: nonEmptyName,
  label: z.string(),
  type: z.enum(PARAM_TYPES),
  default: paramValueSchema,
  min: z.number().optional(),
  max: z.number().optional(),
  step: z.number().positive().optional(),
  options: z.array(z.string()).optional(),
  description: z.string().optional(),
});

export const strategyInfoSchema = z.object({
  name: nonEmptyName,
  description: z.string(),
  interval: intervalSchema,
  params: z.array(paramFieldSchema),
});

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const logLevelSchema = z.enum(LOG_LEVELS);
export const logLineSchema = z.object({
  entryId: z.string(),
  level: logLevelSchema,
  at: timestampSchema,
  message: z.string(),
  source: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export const SUBSYSTEMS = ['session', 'storage', 'recent', 'notification', 'memory', 'state', 'dump', 'markdown', 'log'] as const;
export const ADAPTERS = ['mongodb', 'local-file', 'in-memory', 'markdown', 'dummy', 'jsonl'] as const;
export const matrixRowSchema = z.object({
  subsystem: z.enum(SUBSYSTEMS),
  live: z.enum(ADAPTERS),
  backtest: z.enum(ADAPTERS),
  holds: z.string(),
});

export type Candle = z.infer<typeof candleSchema>;
export type SeriesKey = z.infer<typeof seriesKeySchema>;
export type RunKind = z.infer<typeof runKindSchema>;
export type RunStatus = z.infer<typeof runStatusSchema>;
export type SignalRow = z.infer<typeof signalRowSchema>;
export type NotificationType = z.infer<typeof notificationTypeSchema>;
export type Notification = z.infer<typeof notificationSchema>;
export type RunStats = z.infer<typeof runStatsSchema>;
export type EquityPoint = z.infer<typeof equityPointSchema>;
export type StrategyParams = z.infer<typeof strategyParamsSchema>;
export type RunSummary = z.infer<typeof runSummarySchema>;
export type RunDetail = z.infer<typeof runDetailSchema>;
export type ParamField = z.infer<typeof paramFieldSchema>;
export type StrategyInfo = z.infer<typeof strategyInfoSchema>;
export type LogLevel = z.infer<typeof logLevelSchema>;
export type LogLine = z.infer<typeof logLineSchema>;
export type MatrixRow = z.infer<typeof matrixRowSchema>;
export type Subsystem = (typeof SUBSYSTEMS)[number];
export type Adapter = (typeof ADAPTERS)[number];
