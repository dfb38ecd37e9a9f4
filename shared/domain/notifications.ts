import { z } from 'zod';
import { nonEmptyName, timestampSchema } from './common';

/** The notification inbox (DESIGN.md §2): signal events, risk and error reports, run lifecycle. */
export const NOTIFICATION_TYPES = [
  // backtest-kit 19.5.0's NotificationModel union (31 types), in its own vocabulary.
  'signal.opened',
  'signal.closed',
  'signal.scheduled',
  'signal.cancelled',
  'signal.info',
  'partial_profit.available',
  'partial_profit.commit',
  'partial_loss.available',
  'partial_loss.commit',
  'breakeven.available',
  'breakeven.commit',
  'average_buy.commit',
  'activate_scheduled.commit',
  'trailing_stop.commit',
  'trailing_take.commit',
  'cancel_scheduled.commit',
  'close_pending.commit',
  'order_sync.open',
  'order_sync.close',
  'order_sync.check',
  'order_continue.check',
  'order_stop.check',
  'order_fill.open',
  'order_fill.close',
  'order_reject.open',
  'order_reject.close',
  'risk.rejection',
  'error.info',
  'error.critical',
  'error.validation',
  'strategy.pause',
  // The monitor's own run lifecycle (a bot never writes these).
  'run.started',
  'run.progress',
  'run.completed',
  'run.failed',
] as const;

/** The types backtest-kit itself emits (everything but the monitor's run.* ones). */
export const BACKTEST_KIT_NOTIFICATION_TYPES = NOTIFICATION_TYPES.filter((t) => !t.startsWith('run.'));
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
  /**
   * Type-specific details: for a backtest-kit notification, every NotificationModel field not
   * lifted above (position, prices, pnl, peakProfit, maxDrawdown, closeReason, orderType, ...).
   */
  data: z.record(z.string(), z.unknown()).optional(),
});

/** What a producer hands in; the inbox fills in the id, the time, the unread flag and the mode when absent. */
export const newNotificationSchema = notificationSchema.partial({ notificationId: true, createdAt: true, read: true, backtest: true });

export const notificationFilterSchema = z.object({
  type: z.union([notificationTypeSchema, z.array(notificationTypeSchema).min(1)]).optional(),
  symbol: z.string().optional(),
  runId: z.string().optional(),
  backtest: z.boolean().optional(),
  unreadOnly: z.boolean().optional(),
});

export type NotificationType = z.infer<typeof notificationTypeSchema>;
export type Notification = z.infer<typeof notificationSchema>;
export type NewNotification = z.input<typeof newNotificationSchema>;
export type NotificationFilter = z.infer<typeof notificationFilterSchema>;
