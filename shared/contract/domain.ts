import { z } from 'zod';
import { INTERVALS } from '../candles';

/**
 * Domain schemas the contract carries. Runs, signals, notifications and strategies come from
 * shared/domain (owned by the engine and persistence parts); the rest is declared here.
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

// The engine's run vocabulary (shared/domain/runs.ts) and strategy catalogue (shared/domain/strategies.ts).
export {
  RUN_KINDS,
  RUN_STATUSES,
  FINAL_RUN_STATUSES,
  runKindSchema,
  runStatusSchema,
  runRequestSchema,
  POSITIONS,
  SIGNAL_STATUSES,
  SIGNAL_TRANSITIONS,
  CLOSE_REASONS,
  CANCEL_REASONS,
  signalRowSchema,
  NOTIFICATION_TYPES,
  notificationSchema,
  runStatsSchema,
  equityPointSchema,
  runProgressSchema,
  runSummarySchema,
  runDetailSchema,
  runEventSchema,
} from '../domain/runs';
export { PARAM_TYPES, paramFieldSchema, strategyInfoSchema, strategyParamsSchema } from '../domain/strategies';
import { NOTIFICATION_TYPES } from '../domain/runs';
export const notificationTypeSchema = z.enum(NOTIFICATION_TYPES);

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
export type {
  RunKind,
  RunStatus,
  RunRequest,
  RunRequestInput,
  SignalRow,
  NotificationType,
  RunNotification as Notification,
  RunStats,
  EquityPoint,
  RunProgress,
  RunSummary,
  RunDetail,
  RunEvent,
} from '../domain/runs';
export type { ParamField, StrategyInfo, StrategyParams } from '../domain/strategies';
export type LogLevel = z.infer<typeof logLevelSchema>;
export type LogLine = z.infer<typeof logLineSchema>;
export type MatrixRow = z.infer<typeof matrixRowSchema>;
export type Subsystem = (typeof SUBSYSTEMS)[number];
export type Adapter = (typeof ADAPTERS)[number];
