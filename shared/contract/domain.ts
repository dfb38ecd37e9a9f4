import { z } from 'zod';
import { INTERVALS } from '../candles';

/**
 * Domain schemas the contract carries. Runs and strategies come from the engine's
 * shared/domain/runs.ts and strategies.ts; signals, notifications, logs and the adapter matrix
 * from the persistence layer's shared/domain files. Only the candle shapes are declared here.
 */

export const intervalSchema = z.enum(INTERVALS);

export { nonEmptyName, timestampSchema } from '../domain/common';
import { nonEmptyName, timestampSchema } from '../domain/common';

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

export {
  RUN_KINDS,
  RUN_STATUSES,
  FINAL_RUN_STATUSES,
  runKindSchema,
  runStatusSchema,
  runRequestSchema,
  accountSchema,
  costModelSchema,
  DEFAULT_ACCOUNT,
  SIGNAL_TRANSITIONS,
  runStatsSchema,
  equityPointSchema,
  runProgressSchema,
  runSummarySchema,
  runDetailSchema,
  runEventSchema,
} from '../domain/runs';
export { POSITIONS, SIGNAL_STATUSES, CLOSE_REASONS, CANCEL_REASONS, signalRowSchema } from '../domain/signals';
export { NOTIFICATION_TYPES, notificationTypeSchema, notificationSchema } from '../domain/notifications';
export { PARAM_TYPES, paramFieldSchema, strategyInfoSchema, strategyParamsSchema } from '../domain/strategies';
export { LOG_LEVELS, logLevelSchema, logLineSchema, logSubjectSchema } from '../domain/logs';
export { SUBSYSTEMS, ADAPTERS, matrixRowSchema, effectiveAdapterSchema } from '../domain/persist-matrix';

export type Candle = z.infer<typeof candleSchema>;
export type SeriesKey = z.infer<typeof seriesKeySchema>;
export type {
  RunKind,
  RunStatus,
  RunRequest,
  RunRequestInput,
  Account,
  CostModel,
  RunStats,
  EquityPoint,
  RunProgress,
  RunSummary,
  RunDetail,
  RunEvent,
} from '../domain/runs';
export type { SignalRow, Position, SignalStatus, CloseReason, CancelReason } from '../domain/signals';
export type { Notification, NotificationType } from '../domain/notifications';
export type { ParamField, StrategyInfo, StrategyParams } from '../domain/strategies';
export type { LogLevel, LogLine, LogSubject } from '../domain/logs';
export type { MatrixRow, Subsystem, AdapterName, EffectiveAdapter } from '../domain/persist-matrix';
